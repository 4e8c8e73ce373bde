"""Byte-stream plumbing for reading layers once: hashing as bytes pass (on helper threads),
counting, peeking at magic bytes, and the read-forward file object `tarfile` reads through."""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import BinaryIO, Callable

from dockopt.errors import ImageFormatError

CHUNK = 1 << 20
SKIP_CHUNK = 4 << 20
MAX_SINGLE_READ = 16 << 20
"""Largest read tarfile may ask for in one call (pax/GNU long-name headers). Bounds memory."""

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
