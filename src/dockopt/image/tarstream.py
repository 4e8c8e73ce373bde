"""Reading one layer blob safely, exactly once: as a stream, or by seeking in a file.

The blob may be an uncompressed tar, gzip or zstd (sniffed by magic bytes, never trusted from
a media type). We normalise member paths, reject hostile members, and hand each entry (and,
when asked, a bounded prefix of its content) to a callback. The digests of the stored bytes
(blob digest) and of the tar (diff-ID) are computed as the stream passes, or, for a blob in a
file, by a helper reading the same file (`regionhash`).
"""

from __future__ import annotations

import gzip
import posixpath
import sys
import tarfile
import zlib
from typing import BinaryIO, Callable, Protocol

from dockopt.errors import ImageFormatError
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.streams import CHUNK, CountingHasher, ForwardReader, PositionalReader
from dockopt.image.tarheader import ZERO_BLOCK, FastTarInfo, plain_member

try:  # Python 3.14+
    from compression import zstd as _zstd  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the interpreter
    from backports import zstd as _zstd  # type: ignore[no-redef]

MAX_MEMBER_SIZE = 1 << 40
"""A member claiming more than 1 TiB is treated as hostile."""
MAX_ENTRIES = 5_000_000

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


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


class Digest(Protocol):
    """A digest being computed elsewhere (a helper thread or process)."""

    def hexdigest(self) -> str: ...
    def close(self) -> None: ...


class BlobResult:
    """What reading a blob found. The digests are computed on helper threads or in a helper
    process and known once asked for, so the next layer is parsed while this one is hashed."""

    def __init__(self, blob_size: int, entries: int, compression: str, diff_hash: Digest,
                 blob_digest: str | Digest | None):
        self.blob_size, self.entries, self.compression = blob_size, entries, compression
        self._diff_hash = diff_hash
        self._blob_digest = blob_digest

    @property
    def diff_id(self) -> str:
        return "sha256:" + self._diff_hash.hexdigest()

    @property
    def blob_digest(self) -> str:
        """Digest of the stored bytes; for an uncompressed blob that is the diff-ID."""
        if self._blob_digest is None:
            return self.diff_id
        if isinstance(self._blob_digest, str):
            return self._blob_digest
        return "sha256:" + self._blob_digest.hexdigest()

    def close(self) -> None:
        """Finish the background hash of a blob whose digest nobody will ask for."""
        self._diff_hash.close()


EntryCallback = Callable[[FileEntry], int]
"""Called for each entry; returns how many bytes of content it wants (0 for none)."""
ContentCallback = Callable[[FileEntry, bytes], None]


def _open_decompressed(raw: CountingHasher, layer: str) -> tuple[BinaryIO, str]:
    head = raw.peek(4)
    if head.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=raw, mode="rb"), "gzip"  # type: ignore[arg-type]
    if head == ZSTD_MAGIC:
        return _zstd.ZstdFile(raw, mode="rb"), "zstd"  # type: ignore[arg-type]
    return raw, "none"  # type: ignore[return-value]


WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"


def _entry_from(member: tarfile.TarInfo, layer: str) -> FileEntry:
    if member.isreg():
        kind = EntryType.FILE
    elif member.isdir():
        kind = EntryType.DIR
    elif member.issym():
        kind = EntryType.SYMLINK
    elif member.islnk():
        kind = EntryType.HARDLINK
    else:
        kind = EntryType.OTHER
    return _make_entry(member.name, kind, member.size, member.mode, member.uid, member.gid,
                       int(member.mtime), member.linkname, layer)


def _is_plain_name(name: str) -> bool:
    """A relative name with no empty, `.` or `..` segments: it needs no normalising."""
    return bool(name) and name[0] != "/" and "//" not in name and "/." not in "/" + name \
        and name[-1] != "/" and "\x00" not in name


def _make_entry(name: str, kind: EntryType, size: int, mode: int, uid: int, gid: int, mtime: int,
                linkname: str, layer: str) -> FileEntry:
    path = "/" + name if _is_plain_name(name) else normalise_member_path(name, layer)
    if "/.wh." in path:
        folder, base = posixpath.split(path)
        if base == OPAQUE_MARKER:
            return FileEntry(path=folder, type=EntryType.OPAQUE)
        if base.startswith(WHITEOUT_PREFIX):
            hidden = base[len(WHITEOUT_PREFIX):]
            if not hidden or hidden in (".", ".."):
                raise ImageFormatError(f"invalid whiteout {path}", layer)
            return FileEntry(path=posixpath.join(folder, hidden), type=EntryType.WHITEOUT)
    if size < 0 or size > MAX_MEMBER_SIZE:
        raise ImageFormatError(f"member {path} claims an impossible size ({size} bytes)", layer)
    link = None
    if kind is EntryType.SYMLINK:
        link = linkname
        _check_symlink(path, link, layer)
    elif kind is EntryType.HARDLINK:
        link = normalise_member_path(linkname, layer)
    return FileEntry(path, kind, size if kind is EntryType.FILE else 0, mode, uid, gid, link, mtime)


def _walk(reader: "ForwardReader | PositionalReader", layer: str, on_entry: EntryCallback,
          on_content: ContentCallback | None) -> int:
    """Hand every member of the tar `reader` holds to the callbacks; the entry count.

    Plain header blocks (nearly every member of a layer) are read here; for anything else,
    extension headers, sparse files, devices, damage or the end of the data, tarfile reads the
    member from the same position, so its rules and errors apply."""
    count = 0
    pos = reader.tell()
    tar: tarfile.TarFile | None = None
    while True:
        reader.seek(pos)
        buf = reader.read(tarfile.BLOCKSIZE)
        plain = plain_member(buf)
        sparse: tarfile.TarInfo | None = None
        if plain is not None:
            name, kind, size, mode, uid, gid, mtime, linkname = plain
            data_at = pos + tarfile.BLOCKSIZE
            pos = data_at + (-(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE if kind is EntryType.FILE else 0)
            entry = _make_entry(name, kind, size, mode, uid, gid, mtime, linkname, layer)
        elif buf == ZERO_BLOCK:
            return count  # the end-of-archive marker
        elif len(buf) < tarfile.BLOCKSIZE and pos > 0:
            # tarfile's rule: the last member's data must be whole; nothing after it, or less
            # than a block, ends the archive.
            reader.seek(pos - 1)
            if not reader.read(1):
                raise tarfile.ReadError("unexpected end of data")
            return count
        else:
            reader.seek(pos)  # back to the header just looked at: tarfile reads from there
            if tar is None:  # it reads its first member as it opens
                tar = tarfile.TarFile(fileobj=reader, mode="r", tarinfo=FastTarInfo)  # type: ignore[arg-type]
                if tar.firstmember is None:
                    return count
            else:
                tar.offset = pos
            member = tar.next()
            if member is None:
                return count
            tar.members.clear()  # tarfile keeps every member otherwise; we keep our own entries
            pos = tar.offset
            data_at = member.offset_data
            sparse = member if member.sparse else None
            entry = _entry_from(member, layer)
        count += 1
        if count > MAX_ENTRIES:
            raise ImageFormatError(f"more than {MAX_ENTRIES} entries in one layer", layer)
        wanted = on_entry(entry)
        if wanted and entry.type is EntryType.FILE and on_content is not None:
            want = wanted if wanted < entry.size else entry.size
            if sparse is None:
                # A plain member's data follows its header: read it straight from the stream
                # (tarfile's file object costs more than the read for small files).
                reader.seek(data_at)
                handle: BinaryIO = reader  # type: ignore[assignment]
            else:
                assert tar is not None
                handle = tar.extractfile(sparse)  # type: ignore[assignment]
                assert handle is not None
            data = handle.read(want if want < CHUNK else CHUNK)
            if len(data) < want:  # a large prefix (read a chunk at a time), or the data ends
                parts, got = [data], len(data)
                while got < want:
                    part = handle.read(min(CHUNK, want - got))
                    if not part:
                        raise ImageFormatError(f"unexpected end of data in {entry.path}", layer)
                    parts.append(part)
                    got += len(part)
                data = b"".join(parts)
            on_content(entry, data)


def _corrupt(exc: BaseException, layer: str) -> ImageFormatError:
    if isinstance(exc, _zstd.ZstdError):
        return ImageFormatError(f"corrupt zstd stream: {exc}", layer)
    return ImageFormatError(f"corrupt layer stream: {_describe(exc)}", layer)


_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError, ValueError, _zstd.ZstdError)


def read_layer_blob(raw: BinaryIO, layer: str, on_entry: EntryCallback,
                    on_content: ContentCallback | None = None,
                    on_bytes: Callable[[int], None] | None = None,
                    stored_digest: Digest | None = None) -> BlobResult:
    """Stream one layer blob through the callbacks. `layer` names it in every error.
    `stored_digest`, when given, is the digest of the stored bytes computed elsewhere."""
    counted = CountingHasher(raw, on_bytes)
    reader: ForwardReader | None = None
    try:
        stream, compression = _open_decompressed(counted, layer)
        if compression == "none" or stored_digest is not None:
            counted.sha = None  # uncompressed, the blob is the tar: one hash serves as both
        reader = ForwardReader(stream, layer)
        count = _walk(reader, layer, on_entry, on_content)
        reader.drain()
        counted.drain()
    except ImageFormatError:
        raise
    except _READ_ERRORS as exc:
        raise _corrupt(exc, layer) from None
    finally:
        if reader is not None and reader.sha is not None and sys.exc_info()[0] is not None:
            reader.sha.close()
    assert reader.sha is not None
    blob_digest: str | Digest | None = stored_digest if compression != "none" else None
    if counted.sha is not None:
        blob_digest = "sha256:" + counted.sha.hexdigest()
    return BlobResult(counted.count, count, compression, reader.sha, blob_digest)


def read_layer_region(fd: int, offset: int, size: int, digest: Digest, layer: str,
                      on_entry: EntryCallback, on_content: ContentCallback | None = None,
                      on_bytes: Callable[[int], None] | None = None) -> BlobResult:
    """Read an uncompressed layer stored at [offset, offset + size) of a regular file. The tar is
    parsed by seeking from header to header; `digest` (of the whole range) is computed apart."""
    reader = PositionalReader(fd, offset, size, layer, on_bytes)
    try:
        count = _walk(reader, layer, on_entry, on_content)
    except ImageFormatError:
        raise
    except _READ_ERRORS as exc:
        raise _corrupt(exc, layer) from None
    if on_bytes is not None and size > reader.reported:
        on_bytes(size - reader.reported)
    return BlobResult(size, count, "none", digest, None)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, EOFError) or "end of" in text.lower():
        return f"truncated ({text or 'unexpected end of data'})"
    return text or type(exc).__name__
