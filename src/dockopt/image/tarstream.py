"""Reading one layer blob safely, as a stream, exactly once.

The blob may be an uncompressed tar, gzip or zstd (sniffed by magic bytes, never trusted from
a media type). While the tar streams past, we hash both the stored bytes (blob digest) and the
uncompressed bytes (diff-ID), normalise member paths, reject hostile members, and hand each
entry (and, when asked, a bounded prefix of its content) to a callback.
"""

from __future__ import annotations

import gzip
import hashlib
import queue
import threading
import posixpath
import sys
import tarfile
import zlib
from typing import BinaryIO, Callable

from dockopt.errors import ImageFormatError
from dockopt.image.model import EntryType, FileEntry

try:  # Python 3.14+
    from compression import zstd as _zstd  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the interpreter
    from backports import zstd as _zstd  # type: ignore[no-redef]

CHUNK = 1 << 20
SKIP_CHUNK = 4 << 20
MAX_SINGLE_READ = 16 << 20
"""Largest read tarfile may ask for in one call (pax/GNU long-name headers). Bounds memory."""
MAX_MEMBER_SIZE = 1 << 40
"""A member claiming more than 1 TiB is treated as hostile."""
MAX_ENTRIES = 5_000_000

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


Lent = "tuple[memoryview, Callable[[], None] | None]"
"""A view of bytes a stream lends without copying, and what to call when done with it."""

_IN_FLIGHT = threading.BoundedSemaphore(8)
"""Copied chunks waiting to be hashed, across all layers: bounds memory. Views of a
memory-mapped archive cost no memory and are not counted."""


class BackgroundSha256:
    """sha256 computed on a helper thread: hashlib releases the GIL for large buffers, so the
    digest costs almost nothing on the thread that parses the tar, and the digests of several
    layers are computed side by side. `hexdigest` waits for the thread."""

    BATCH = 1 << 20

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._pending = bytearray()
        self._queue: "queue.Queue[tuple[bytes | memoryview, bool, Callable[[], None] | None] | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()
        self._digest: str | None = None

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            data, owned, release = item
            self._sha.update(data)
            if owned:
                _IN_FLIGHT.release()
            if release is not None:
                release()

    def _put(self, data: bytes | memoryview, owned: bool) -> None:
        if owned:
            _IN_FLIGHT.acquire()
        self._queue.put((data, owned, None))

    def _flush(self) -> None:
        if self._pending:
            self._put(bytes(self._pending), True)
            self._pending.clear()

    def update(self, data: bytes | memoryview, release: "Callable[[], None] | None" = None) -> None:
        """Hash `data`. A memoryview is lent, not copied: `release` runs once it is hashed."""
        if isinstance(data, memoryview):
            self._flush()
            self._queue.put((data, False, release))
            return
        if len(data) >= self.BATCH and not self._pending:
            self._put(data, True)
            return
        self._pending += data
        if len(self._pending) >= self.BATCH:
            self._flush()

    def hexdigest(self) -> str:
        if self._digest is None:
            self._flush()
            self._queue.put(None)
            self._thread.join()
            self._digest = self._sha.hexdigest()
        return self._digest

    def close(self) -> None:
        """Stop the helper thread (after an error, when no digest is wanted)."""
        if self._digest is None and self._thread.is_alive():
            self._flush()
            self._queue.put(None)
            self._thread.join()
            self._digest = ""


class CountingHasher:
    """Passes bytes through from `raw`, hashing and counting them (the stored-blob digest).
    `peek` lets the caller sniff the compression without another buffering layer."""

    def __init__(self, raw: BinaryIO, on_bytes: Callable[[int], None] | None = None):
        self.raw = raw
        self.sha: "hashlib._Hash | None" = hashlib.sha256()
        self.count = 0
        self.on_bytes = on_bytes
        self._head = b""

    def readable(self) -> bool:
        return True

    def peek(self, n: int) -> bytes:
        while len(self._head) < n:
            data = self.raw.read(n - len(self._head))
            if not data:
                break
            self._head += data
        return self._head[:n]

    def read(self, n: int = -1) -> bytes:
        if self._head:
            data, self._head = (self._head, b"") if n < 0 or n >= len(self._head) else (self._head[:n], self._head[n:])
        else:
            data = self.raw.read(n)
        if self.sha is not None:
            self.sha.update(data)
        self.count += len(data)
        if self.on_bytes is not None and data:
            self.on_bytes(len(data))
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def skip_view(self, n: int) -> "Lent | None":
        """A no-copy view of the next `n` bytes (and how to release it), when they need no
        hashing here and `raw` can lend one; None otherwise (the caller then reads)."""
        lend = getattr(self.raw, "skip_view", None)
        if lend is None or self._head or self.sha is not None:
            return None
        lent = lend(n)
        if lent is not None:
            self.count += len(lent[0])
            if self.on_bytes is not None and len(lent[0]):
                self.on_bytes(len(lent[0]))
        return lent


class ForwardReader:
    """A read-forward file object for `tarfile`: hashes what it reads, refuses huge reads, and
    allows only the tiny backward seeks tarfile makes (it re-reads one byte before a header)."""

    KEEP = 512

    def __init__(self, stream: BinaryIO, layer: str, hashing: bool = True):
        self.stream = stream
        self.layer = layer
        self.sha = BackgroundSha256() if hashing else None
        self.pos = 0
        self._tail = b""  # last bytes read, for small backward seeks
        self._replay = b""  # bytes to serve again after a backward seek
        self.mode = "rb"
        self.name = layer

    def _raw_read(self, n: int) -> bytes:
        data = self.stream.read(n)
        if 0 < len(data) < n:  # short read (decompressors return what they have): fill up
            parts = [data]
            remaining = n - len(data)
            while remaining > 0:
                more = self.stream.read(remaining)
                if not more:
                    break
                parts.append(more)
                remaining -= len(more)
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
        self._tail = out[-self.KEEP:] if len(out) >= self.KEEP else (self._tail + out)[-self.KEEP:]
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
            got = self._skip_view(min(target - self.pos, SKIP_CHUNK)) if not self._replay else None
            if got is None:
                got = self.read(min(target - self.pos, SKIP_CHUNK))
            if not got:
                raise ImageFormatError("unexpected end of layer data (truncated stream)", self.layer)
        return self.pos

    def _skip_view(self, n: int) -> memoryview | None:
        """Pass over file data without copying it, where the stream can lend a view of its
        bytes (a memory-mapped archive); the view is hashed as it is, then released."""
        lend = getattr(self.stream, "skip_view", None)
        lent = lend(n) if lend is not None else None
        if lent is None:
            return None
        view, release = lent
        if self.sha is not None:
            self.sha.update(view, release)
        elif release is not None:
            release()
        self.pos += len(view)
        self._tail = bytes(view[-self.KEEP:]) if len(view) >= self.KEEP else (self._tail + bytes(view))[-self.KEEP:]
        return view

    def drain(self) -> int:
        """Read what follows the tar's end blocks, so the digest covers the whole stream."""
        extra = len(self._replay)
        self._replay = b""
        while True:
            data = self._raw_read(CHUNK)
            if not data:
                return extra
            extra += len(data)


_SPECIAL_NUMBER = (0o200, 0o377)  # base-256 numeric fields


class FastTarInfo(tarfile.TarInfo):
    """tarfile's header parser, with a fast path for the plain ustar/GNU headers that make up
    nearly every layer. Anything unusual (base-256 numbers, signed checksums, old GNU sparse
    headers, bad fields) goes to tarfile's own parser, which also produces its errors."""

    @classmethod
    def frombuf(cls, buf, encoding, errors):  # type: ignore[override]
        if (len(buf) != tarfile.BLOCKSIZE or buf[156:157] == tarfile.GNUTYPE_SPARSE
                or any(buf[i] in _SPECIAL_NUMBER for i in (100, 108, 116, 124, 136, 148))):
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = int(buf[148:156].split(b"\0", 1)[0].strip() or b"0", 8)
            if chksum != 256 + sum(buf[:148]) + sum(buf[156:]):
                return super().frombuf(buf, encoding, errors)
            obj = cls()
            obj.name = buf[0:100].split(b"\0", 1)[0].decode(encoding, errors)
            obj.mode = int(buf[100:108].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.uid = int(buf[108:116].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.gid = int(buf[116:124].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.size = int(buf[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.mtime = int(buf[136:148].split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError:
            return super().frombuf(buf, encoding, errors)
        obj.chksum = chksum
        obj.type = buf[156:157]
        obj.linkname = buf[157:257].split(b"\0", 1)[0].decode(encoding, errors)
        obj.uname = buf[265:297].split(b"\0", 1)[0].decode(encoding, errors)
        obj.gname = buf[297:329].split(b"\0", 1)[0].decode(encoding, errors)
        if obj.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            return super().frombuf(buf, encoding, errors)  # device numbers: rare, keep exact
        prefix = buf[345:500].split(b"\0", 1)[0].decode(encoding, errors)
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = tarfile.DIRTYPE
        if obj.type == tarfile.DIRTYPE:
            obj.name = obj.name.rstrip("/")
        if prefix and obj.type not in tarfile.GNU_TYPES:
            obj.name = prefix + "/" + obj.name
        return obj


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


class BlobResult:
    """What reading a blob found. The digests are computed on helper threads and known once
    asked for, so the next layer is parsed while this one is still being hashed."""

    def __init__(self, blob_size: int, entries: int, compression: str, diff_hash: BackgroundSha256,
                 blob_digest: str | None):
        self.blob_size, self.entries, self.compression = blob_size, entries, compression
        self._diff_hash = diff_hash
        self._blob_digest = blob_digest

    @property
    def diff_id(self) -> str:
        return "sha256:" + self._diff_hash.hexdigest()

    @property
    def blob_digest(self) -> str:
        """Digest of the stored bytes; for an uncompressed blob that is the diff-ID."""
        return self._blob_digest or self.diff_id

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
    reader: ForwardReader | None = None
    try:
        stream, compression = _open_decompressed(counted, layer)
        if compression == "none":
            counted.sha = None  # the blob is the tar: one hash serves as digest and diff-ID
        reader = ForwardReader(stream, layer)
        count = 0
        tar = tarfile.TarFile(fileobj=reader, mode="r", tarinfo=FastTarInfo)  # type: ignore[arg-type]
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
                want = min(wanted, entry.size)
                if not member.sparse:
                    # A plain member's data follows its header: read it straight from the stream
                    # (tarfile's file object costs more than the read for small files).
                    reader.seek(member.offset_data)
                    handle = reader
                else:
                    handle = tar.extractfile(member)  # type: ignore[assignment]
                    assert handle is not None
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
    finally:
        if reader is not None and reader.sha is not None and sys.exc_info()[0] is not None:
            reader.sha.close()
    assert reader.sha is not None
    blob_digest = None if counted.sha is None else "sha256:" + counted.sha.hexdigest()
    return BlobResult(counted.count, count, compression, reader.sha, blob_digest)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, EOFError) or "end of" in text.lower():
        return f"truncated ({text or 'unexpected end of data'})"
    return text or type(exc).__name__
