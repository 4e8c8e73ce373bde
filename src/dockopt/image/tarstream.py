"""Reading one layer blob safely, as a stream, exactly once.

The blob may be an uncompressed tar, gzip or zstd (sniffed by magic bytes, never trusted from
a media type). While the tar streams past, we hash both the stored bytes (blob digest) and the
uncompressed bytes (diff-ID), normalise member paths, reject hostile members, and hand each
entry (and, when asked, a bounded prefix of its content) to a callback.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable

from dockopt.errors import ImageFormatError
from dockopt.image.model import EntryType, FileEntry

try:  # Python 3.14+
    from compression import zstd as _zstd  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the interpreter
    from backports import zstd as _zstd  # type: ignore[no-redef]

CHUNK = 1 << 20
MAX_SINGLE_READ = 16 << 20
"""Largest read tarfile may ask for in one call (pax/GNU long-name headers). Bounds memory."""
MAX_MEMBER_SIZE = 1 << 40
"""A member claiming more than 1 TiB is treated as hostile."""
MAX_ENTRIES = 5_000_000

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class CountingHasher(io.RawIOBase):
    """Passes bytes through from `raw`, hashing and counting them (the stored-blob digest)."""

    def __init__(self, raw: BinaryIO, on_bytes: Callable[[int], None] | None = None):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.count = 0
        self.on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha.update(data)
        self.count += n
        if self.on_bytes is not None and n:
            self.on_bytes(n)
        return n

    def drain(self) -> None:
        while self.readinto(bytearray(CHUNK)):
            pass


class ForwardReader:
    """A read-forward file object for `tarfile`: hashes what it reads, refuses huge reads, and
    allows only the tiny backward seeks tarfile makes (it re-reads one byte before a header)."""

    KEEP = 512

    def __init__(self, stream: BinaryIO, layer: str, hashing: bool = True):
        self.stream = stream
        self.layer = layer
        self.sha = hashlib.sha256() if hashing else None
        self.pos = 0
        self._tail = b""  # last bytes read, for small backward seeks
        self._replay = b""  # bytes to serve again after a backward seek
        self.mode = "rb"
        self.name = layer

    def _raw_read(self, n: int) -> bytes:
        parts = []
        remaining = n
        while remaining > 0:
            data = self.stream.read(min(remaining, CHUNK))
            if not data:
                break
            parts.append(data)
            remaining -= len(data)
        data = b"".join(parts)
        if self.sha is not None:
            self.sha.update(data)
        return data

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise ImageFormatError("tar reader asked for an unbounded read", self.layer)
        if n > MAX_SINGLE_READ:
            raise ImageFormatError(f"tar header claims {n} bytes of metadata (limit {MAX_SINGLE_READ})", self.layer)
        out = b""
        if self._replay:
            out, self._replay = self._replay[:n], self._replay[n:]
        if len(out) < n:
            out += self._raw_read(n - len(out))
        self.pos += len(out)
        self._tail = (self._tail + out)[-self.KEEP:]
        return out

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        target = offset if whence == 0 else self.pos + offset
        if whence not in (0, 1):
            raise ImageFormatError("tar reader cannot seek from the end of a stream", self.layer)
        if target < self.pos:
            back = self.pos - target
            if back > len(self._tail) - len(self._replay):
                raise ImageFormatError("tar stream needs a backward seek; archive is malformed", self.layer)
            start = len(self._tail) - back - len(self._replay)
            self._replay = self._tail[start:len(self._tail) - len(self._replay)] + self._replay
            self.pos = target
            return self.pos
        while self.pos < target:
            got = self.read(min(target - self.pos, CHUNK))
            if not got:
                raise ImageFormatError("unexpected end of layer data (truncated stream)", self.layer)
        return self.pos

    def drain(self) -> int:
        """Read what follows the tar's end blocks, so the digest covers the whole stream."""
        extra = len(self._replay)
        self._replay = b""
        while True:
            data = self._raw_read(CHUNK)
            if not data:
                return extra
            extra += len(data)


def normalise_member_path(name: str, layer: str) -> str:
    """Tar member name -> absolute image path. Rejects absolute and escaping paths."""
    if "\x00" in name:
        raise ImageFormatError(f"member name contains a NUL byte: {name!r}", layer)
    if name.startswith("/"):
        raise ImageFormatError(f"absolute member path {name!r}", layer)
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ImageFormatError(f"member path escapes the image root: {name!r}", layer)
    return "/" + "/".join(parts)


def _check_symlink(path: str, target: str, layer: str) -> None:
    # Absolute targets resolve inside the image root at run time. A relative target may not
    # climb above the root: such a link only makes sense as an escape when unpacked.
    if target.startswith("/"):
        return
    depth = len([p for p in posixpath.dirname(path).split("/") if p])
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                raise ImageFormatError(f"symlink {path} -> {target} points outside the image root", layer)
        elif part not in ("", "."):
            depth += 1


@dataclass
class BlobResult:
    blob_digest: str
    blob_size: int
    diff_id: str
    entries: int
    compression: str


EntryCallback = Callable[[FileEntry], int]
"""Called for each entry; returns how many bytes of content it wants (0 for none)."""
ContentCallback = Callable[[FileEntry, bytes], None]


def _open_decompressed(raw: BinaryIO, layer: str) -> tuple[BinaryIO, str]:
    buffered = io.BufferedReader(raw, CHUNK)  # type: ignore[arg-type]
    head = buffered.peek(4)[:4]
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=buffered, mode="rb"), "gzip"  # type: ignore[return-value]
    if head == ZSTD_MAGIC:
        return _zstd.ZstdFile(buffered, mode="rb"), "zstd"  # type: ignore[return-value]
    return buffered, "none"  # type: ignore[return-value]


WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


def _entry_from(member: tarfile.TarInfo, layer: str) -> FileEntry:
    path = normalise_member_path(member.name, layer)
    folder, base = posixpath.split(path)
    if base == OPAQUE_MARKER:
        return FileEntry(path=folder, type=EntryType.OPAQUE)
    if base.startswith(WHITEOUT_PREFIX):
        hidden = base[len(WHITEOUT_PREFIX):]
        if not hidden or hidden in (".", ".."):
            raise ImageFormatError(f"invalid whiteout {path}", layer)
        return FileEntry(path=posixpath.join(folder, hidden), type=EntryType.WHITEOUT)
    if member.size < 0 or member.size > MAX_MEMBER_SIZE:
        raise ImageFormatError(f"member {path} claims an impossible size ({member.size} bytes)", layer)
    link = None
    if member.isreg():
        kind = EntryType.FILE
    elif member.isdir():
        kind = EntryType.DIR
    elif member.issym():
        kind = EntryType.SYMLINK
        link = member.linkname
        _check_symlink(path, link, layer)
    elif member.islnk():
        kind = EntryType.HARDLINK
        link = normalise_member_path(member.linkname, layer)
    else:
        kind = EntryType.OTHER
    size = member.size if kind is EntryType.FILE else 0
    return FileEntry(path=path, type=kind, size=size, mode=member.mode, uid=member.uid, gid=member.gid,
                     link_target=link, mtime=int(member.mtime))


def read_layer_blob(raw: BinaryIO, layer: str, on_entry: EntryCallback,
                    on_content: ContentCallback | None = None,
                    on_bytes: Callable[[int], None] | None = None) -> BlobResult:
    """Stream one layer blob through the callbacks. `layer` names it in every error."""
    counted = CountingHasher(raw, on_bytes)
    try:
        stream, compression = _open_decompressed(counted, layer)
        reader = ForwardReader(stream, layer)
        count = 0
        tar = tarfile.TarFile(fileobj=reader, mode="r")  # type: ignore[arg-type]
        while True:
            member = tar.next()
            if member is None:
                break
            tar.members.clear()  # tarfile keeps every member otherwise; we keep our own entries
            count += 1
            if count > MAX_ENTRIES:
                raise ImageFormatError(f"more than {MAX_ENTRIES} entries in one layer", layer)
            entry = _entry_from(member, layer)
            wanted = on_entry(entry)
            if wanted and entry.type is EntryType.FILE and on_content is not None:
                handle = tar.extractfile(member)
                assert handle is not None
                want = min(wanted, entry.size)
                parts, got = [], 0
                while got < want:
                    part = handle.read(min(CHUNK, want - got))
                    if not part:
                        raise ImageFormatError(f"unexpected end of data in {entry.path}", layer)
                    parts.append(part)
                    got += len(part)
                on_content(entry, b"".join(parts))
        reader.drain()
        counted.drain()
    except ImageFormatError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError, ValueError) as exc:
        raise ImageFormatError(f"corrupt layer stream: {_describe(exc)}", layer) from None
    except _zstd.ZstdError as exc:
        raise ImageFormatError(f"corrupt zstd stream: {exc}", layer) from None
    assert reader.sha is not None
    return BlobResult(blob_digest="sha256:" + counted.sha.hexdigest(), blob_size=counted.count,
                      diff_id="sha256:" + reader.sha.hexdigest(), entries=count, compression=compression)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, EOFError) or "end of" in text.lower():
        return f"truncated ({text or 'unexpected end of data'})"
    return text or type(exc).__name__
