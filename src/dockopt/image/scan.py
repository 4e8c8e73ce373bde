"""The one pass: every layer blob is walked once and its entries go to every visitor; its
digests are computed beside the walk (see `scan_files` and `ScanResult.verify`).

Sources deliver blobs in whatever order they have them (a `docker save` stream is not in
layer order), so visitors receive a `LayerRef` whose position(s) in the image are filled in
once the manifest is known; `Visitor.finish` then sees the assembled `ScanResult`.
"""

from __future__ import annotations

import gc
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Protocol, Sequence

from dockopt.errors import ImageFormatError
from dockopt.image.filesystem import LayerChanges, MergedFilesystem
from dockopt.image.model import FileEntry, Image, Layer
from dockopt.image.regionhash import PendingDigest, Region, RegionHashes
from dockopt.image.streams import PositionalReader
from dockopt.image.tarstream import GZIP_MAGIC, ZSTD_MAGIC, BlobResult, read_layer_blob, read_layer_region

MAX_CONTENT = 64 << 20
"""Most content bytes any visitor may ask for per entry."""


@dataclass
class LayerRef:
    key: str
    """The source's name for the blob (a digest or an archive member path)."""
    indices: list[int] = field(default_factory=list)
    """Positions of this blob among the image's layers; known once the scan is assembled."""


class Visitor:
    """Base for the analyses of the one pass. Override what you need."""

    name = "visitor"

    def entry(self, layer: LayerRef, entry: FileEntry) -> int:
        """See one entry; return how many bytes of its content to receive in `content` (0: none)."""
        return 0

    def content(self, layer: LayerRef, entry: FileEntry, data: bytes) -> None:
        """Receive the first bytes of a file's content, as many as `entry` asked for."""

    def finish(self, result: "ScanResult") -> None:
        """Called once, with layers in image order and the merged filesystem."""


class Progress(Protocol):
    def blob_started(self, key: str, size: int | None, description: str | None = None) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def blob_done(self, key: str) -> None: ...


class NoProgress:
    def blob_started(self, key: str, size: int | None, description: str | None = None) -> None:
        pass

    def advance(self, nbytes: int) -> None:
        pass

    def blob_done(self, key: str) -> None:
        pass


@dataclass
class BlobScan:
    ref: LayerRef
    entries: list[FileEntry]
    result: BlobResult


@dataclass
class LayerScan:
    layer: Layer
    entries: list[FileEntry]
    changes: LayerChanges
    blob: BlobResult

    @property
    def file_count(self) -> int:
        return sum(1 for e in self.entries if e.type.value == "file")

    @property
    def file_bytes(self) -> int:
        return sum(e.size for e in self.entries)


@dataclass
class ScanResult:
    image: Image
    layers: list[LayerScan]
    fs: MergedFilesystem
    reader: "LayerReader | None" = None

    def verify(self) -> None:
        """Check every layer's blob digest and diff-ID (waiting for them if need be)."""
        progress = self.reader.progress if self.reader is not None else NoProgress()
        progress.blob_started("digests", sum(scan.blob.blob_size for scan in self.layers), "verifying digests")
        try:
            for scan in self.layers:
                layer = scan.layer
                label = f"{layer.index} ({short(layer.diff_id)})"
                if layer.digest and scan.blob.blob_digest != layer.digest:
                    raise ImageFormatError(f"blob digest mismatch (expected {layer.digest})", label)
                if scan.blob.diff_id != layer.diff_id:
                    raise ImageFormatError(f"content does not match its diff-ID (got {scan.blob.diff_id})", label)
                progress.advance(scan.blob.blob_size)
        finally:
            progress.blob_done("digests")
            self.close()

    def close(self) -> None:
        """Release the digest helpers (verify does this too)."""
        if self.reader is not None:
            self.reader.close()


@dataclass
class FileBlob:
    """A layer blob at [offset, offset + size) of an open regular file."""

    key: str
    fd: int
    offset: int
    size: int
    label: str


class LayerReader:
    """Given to a source: it calls `scan` once per distinct layer blob, in any order."""

    def __init__(self, visitors: Sequence[Visitor] = (), progress: Progress | None = None,
                 metadata_only: bool = False):
        self.visitors = list(visitors)
        self.progress = progress or NoProgress()
        self.metadata_only = metadata_only
        self.scans: dict[str, BlobScan] = {}
        self.errors: dict[str, ImageFormatError] = {}
        self._hashes: list[RegionHashes] = []

    def close(self) -> None:
        """Stop or reap the helpers that compute digests."""
        for hashes in self._hashes:
            hashes.close()

    def scan(self, key: str, stream: BinaryIO, label: str, size: int | None = None,
             tolerate: bool = False) -> None:
        """Read one blob. `label` names the layer in errors. With `tolerate`, an error is kept and
        raised only if the blob turns out to be a layer (archives hold other blobs too)."""
        if key in self.scans:
            return
        if self.metadata_only:
            while stream.read(1 << 20):
                pass
            return
        self._run(key, size, tolerate,
                  lambda on_entry, on_content: read_layer_blob(stream, label, on_entry, on_content,
                                                               self.progress.advance))

    def scan_files(self, blobs: "list[FileBlob]") -> None:
        """Read layer blobs stored in open regular files, in the order given. The digests of the
        stored bytes are computed apart, all at once (`regionhash`). An uncompressed blob is
        parsed by seeking from header to header; a compressed one streams through its
        decompressor (its diff-ID hashed on a thread as it passes)."""
        if self.metadata_only:
            return
        blobs = [blob for blob in blobs if blob.key not in self.scans]
        hashes = RegionHashes([Region(blob.fd, blob.offset, blob.size) for blob in blobs])
        self._hashes.append(hashes)
        try:
            for i, blob in enumerate(blobs):
                digest = PendingDigest(hashes, i)
                if os.pread(blob.fd, 4, blob.offset).startswith((GZIP_MAGIC, ZSTD_MAGIC)):
                    def read(on_entry, on_content, blob=blob, digest=digest):  # type: ignore[no-untyped-def]
                        stream = PositionalReader(blob.fd, blob.offset, blob.size, blob.label)
                        return read_layer_blob(stream, blob.label, on_entry, on_content,  # type: ignore[arg-type]
                                               self.progress.advance, stored_digest=digest)
                else:
                    def read(on_entry, on_content, blob=blob, digest=digest):  # type: ignore[no-untyped-def]
                        return read_layer_region(blob.fd, blob.offset, blob.size, digest, blob.label,
                                                 on_entry, on_content, self.progress.advance)

                self._run(blob.key, blob.size, False, read)
        except BaseException:
            hashes.close()
            raise

    def _run(self, key: str, size: int | None, tolerate: bool,
             read: Callable[[Callable[[FileEntry], int], Callable[[FileEntry, bytes], None]], BlobResult]) -> None:
        ref = LayerRef(key)
        entries: list[FileEntry] = []
        visitors = self.visitors
        wanted: dict[int, list[Visitor]] = {}

        def on_entry(entry: FileEntry) -> int:
            entries.append(entry)
            most = 0
            takers = None
            for v in visitors:
                n = v.entry(ref, entry)
                if n:
                    if takers is None:
                        takers = wanted[id(entry)] = []
                    takers.append(v)
                    if n > most:
                        most = n
            return most if most < MAX_CONTENT else MAX_CONTENT

        def on_content(entry: FileEntry, data: bytes) -> None:
            for v in wanted.pop(id(entry), ()):
                v.content(ref, entry, data)

        self.progress.blob_started(key, size)
        try:
            # The digests are checked when the image is assembled (scan_image): by then they
            # have been computed in the background, and only blobs that are layers matter.
            result = read(on_entry, on_content)
        except ImageFormatError as exc:
            if not tolerate:
                raise
            self.errors[key] = exc
            return
        finally:
            self.progress.blob_done(key)
        self.scans[key] = BlobScan(ref, entries, result)


class Source(ABC):
    """Where an image comes from. One module per kind; none of them touches the analyses."""

    kind: str = ""
    reference: str = ""

    @abstractmethod
    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        """Produce the image metadata and, for each layer in order, the key of its blob;
        call `reader.scan` for every layer blob on the way."""

    def metadata(self) -> Image:
        """The image without reading layer contents (used for base-image matching)."""
        image, _ = self.read(LayerReader(metadata_only=True))
        return image


def short(digest: str | None) -> str:
    return (digest or "?").replace("sha256:", "")[:12]


def scan_image(source: Source, visitors: Sequence[Visitor] = (), progress: Progress | None = None,
               verify: bool = True) -> ScanResult:
    """Read every layer once through the visitors. The digests are computed beside the reading;
    with `verify=False` the caller may analyse the result while they finish, and must call
    `ScanResult.verify()` before it shows anything."""
    reader = LayerReader(visitors, progress)
    # The walk allocates an object or more per entry, none of them in cycles: the cyclic
    # collector would only traverse the growing heap again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        image, keys = source.read(reader)
        fs = MergedFilesystem()
        layers: list[LayerScan] = []
        for layer, key in zip(image.layers, keys):
            label = f"{layer.index} ({short(layer.diff_id)})"
            scan = reader.scans.get(key)
            if scan is None:
                if key in reader.errors:
                    raise ImageFormatError(str(reader.errors[key]).split(": ", 1)[-1], label)
                raise ImageFormatError("layer blob is missing from the image", label)
            scan.ref.indices.append(layer.index)
            if layer.size is None:
                layer.size = scan.result.blob_size
            changes = fs.apply_layer(layer.index, scan.entries)
            layers.append(LayerScan(layer, scan.entries, changes, scan.result))
        for key in set(reader.scans) - set(keys):
            reader.scans[key].result.close()  # a blob of the archive that is not a layer
        result = ScanResult(image, layers, fs, reader)
        for visitor in visitors:
            visitor.finish(result)
    except BaseException:
        reader.close()
        raise
    finally:
        if collecting:
            gc.enable()
    if verify:
        result.verify()
    return result


class StreamFromChunks:
    """A readable binary stream over an iterator of byte chunks (e.g. the engine's save stream).
    Reads copy only what they return: the rest of a chunk is never re-sliced."""

    def __init__(self, chunks, on_error: Callable[[Exception], Exception] | None = None):
        self._it = iter(chunks)
        self._chunk = b""
        self._pos = 0
        self._on_error = on_error

    def _next_chunk(self) -> bool:
        try:
            chunk = next(self._it)
        except StopIteration:
            return False
        except Exception as exc:  # the transport failed mid-stream
            if self._on_error is None:
                raise
            raise self._on_error(exc) from None
        self._chunk, self._pos = chunk, 0
        return True

    def read(self, n: int = -1) -> bytes:
        parts = []
        while n != 0:
            if self._pos >= len(self._chunk) and not self._next_chunk():
                break
            end = len(self._chunk) if n < 0 else min(len(self._chunk), self._pos + n)
            part = self._chunk[self._pos:end] if self._pos or end < len(self._chunk) else self._chunk
            self._pos = end
            parts.append(part)
            if n > 0:
                n -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)
