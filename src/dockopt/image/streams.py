"""Byte-stream plumbing for reading layers once: hashing as bytes pass (on helper threads),
counting, peeking at magic bytes, and the read-forward file object `tarfile` reads through."""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from typing import BinaryIO, Callable

from dockopt.errors import ImageFormatError

CHUNK = 1 << 20
SKIP_CHUNK = 4 << 20
MAX_SINGLE_READ = 16 << 20
"""Largest read tarfile may ask for in one call (pax/GNU long-name headers). Bounds memory."""

_IN_FLIGHT = threading.BoundedSemaphore(8)
"""Chunks waiting to be hashed, across all layers: bounds memory."""


class BackgroundSha256:
    """sha256 computed on a helper thread: hashlib releases the GIL for large buffers, so the
    digest costs almost nothing on the thread that parses the tar, and the digests of several
    layers are computed side by side. `hexdigest` waits for the thread."""

    BATCH = 1 << 20

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._pending = bytearray()
        self._queue: "queue.Queue[bytes | None]" = queue.Queue()
        self._thread = threading.Thread(target=self._work, daemon=True)
        self._thread.start()
        self._digest: str | None = None

    def _work(self) -> None:
        while (data := self._queue.get()) is not None:
            self._sha.update(data)
            _IN_FLIGHT.release()

    def _put(self, data: bytes) -> None:
        _IN_FLIGHT.acquire()
        self._queue.put(data)

    def _flush(self) -> None:
        if self._pending:
            self._put(bytes(self._pending))
            self._pending.clear()

    def update(self, data: bytes) -> None:
        if len(data) >= self.BATCH and not self._pending:
            self._put(data)
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
            got = self.read(min(target - self.pos, SKIP_CHUNK))
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


class PositionalReader:
    """A seekable, read-only file object over bytes [offset, offset + size) of an open file,
    read with pread through a small window: the tar walk seeks over member data, and most
    headers and small files then come from one read."""

    WINDOW = 64 << 10

    def __init__(self, fd: int, offset: int, size: int, layer: str,
                 on_bytes: Callable[[int], None] | None = None):
        self.fd, self.base, self.size, self.layer = fd, offset, size, layer
        self.on_bytes = on_bytes
        self.pos = 0
        self.reported = 0
        self._window = b""
        self._window_at = 0
        self.mode = "rb"
        self.name = layer

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence not in (0, 1):
            raise ImageFormatError("tar reader cannot seek from the end of a layer", self.layer)
        if whence == 1:
            offset += self.pos
        self.pos = offset if offset > 0 else 0
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise ImageFormatError("tar reader asked for an unbounded read", self.layer)
        if n > MAX_SINGLE_READ:
            raise ImageFormatError(f"tar header claims {n} bytes of metadata (limit {MAX_SINGLE_READ})", self.layer)
        pos = self.pos
        if n > self.size - pos:
            n = self.size - pos
        if n <= 0:
            return b""
        start = pos - self._window_at
        if 0 <= start and start + n <= len(self._window):
            data = self._window[start:start + n]
        elif n >= self.WINDOW:
            data = os.pread(self.fd, n, self.base + pos)
        else:
            left = self.size - pos
            self._window = os.pread(self.fd, self.WINDOW if self.WINDOW < left else left, self.base + pos)
            self._window_at = pos
            data = self._window[:n]
        pos += len(data)
        self.pos = pos
        if pos > self.reported and self.on_bytes is not None:
            self.on_bytes(pos - self.reported)
            self.reported = pos
        return data
