"""sha256 of byte ranges of open files, computed beside the tar parser.

A layer stored uncompressed in a regular file (a `docker save` archive, an OCI layout) is hashed
straight from the file while the parser seeks through its headers: the two need not share a
stream. Hashing is most of the work (1.5 GB is about a second of one core), and in-process
hashing threads starve behind a busy parser thread on the GIL, so the ranges are hashed in a
small helper interpreter that inherits the open descriptors. If that helper cannot be started,
threads in this process do the work instead.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from dockopt.errors import DockoptError

_HELPER = r"""
import hashlib, os, sys, threading
jobs = [tuple(int(x) for x in line.split()) for line in sys.stdin]
jobs.reverse()
lock = threading.Lock()
def work():
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    while True:
        with lock:
            if not jobs:
                return
            ident, fd, offset, size = jobs.pop()
        sha, pos, end = hashlib.sha256(), offset, offset + size
        while pos < end:
            if hasattr(os, "preadv"):
                got = os.preadv(fd, [view[:min(len(buf), end - pos)]], pos)
                data = view[:got]
            else:  # no preadv (macOS): a copy per read
                data = os.pread(fd, min(len(buf), end - pos), pos)
                got = len(data)
            if got <= 0:
                break
            sha.update(data)
            pos += got
        line = "%d %s\n" % (ident, sha.hexdigest() if pos == end else "-")
        with lock:
            sys.stdout.write(line)
            sys.stdout.flush()
threads = [threading.Thread(target=work) for _ in range(int(sys.argv[1]))]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


@dataclass(frozen=True)
class Region:
    fd: int
    offset: int
    size: int


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _hash_region(region: Region, chunk: int = 4 << 20) -> str | None:
    sha, pos, end = hashlib.sha256(), region.offset, region.offset + region.size
    buf = bytearray(chunk)
    view = memoryview(buf)
    while pos < end:
        try:
            if hasattr(os, "preadv"):
                got = os.preadv(region.fd, [view[:min(chunk, end - pos)]], pos)
                data: bytes | memoryview = view[:got]
            else:  # no preadv (macOS): a copy per read
                data = os.pread(region.fd, min(chunk, end - pos), pos)
                got = len(data)
        except OSError:
            return None  # unreadable: no digest, so the layer fails its check
        if got <= 0:
            return None  # the file is shorter than the range: no digest
        sha.update(data)
        pos += got
    return sha.hexdigest()


class RegionHashes:
    """Starts hashing every region at once (largest first, so the helpers finish together);
    `digest(i)` waits for region i. None means the file ended inside the region."""

    def __init__(self, regions: list[Region]):
        self.regions = regions
        self._digests: dict[int, str | None] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._threads: list[threading.Thread] = []
        self._dups: dict[int, int] = {}
        if not regions:
            return
        order = sorted(range(len(regions)), key=lambda i: -regions[i].size)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _HELPER, str(_workers())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                pass_fds=sorted({r.fd for r in regions}), text=True)
            assert self._proc.stdin is not None
            # The helper reads every request before it writes a line: no pipe can fill both ways.
            self._proc.stdin.write("".join(f"{i} {regions[i].fd} {regions[i].offset} {regions[i].size}\n"
                                           for i in order))
            self._proc.stdin.close()
        except (OSError, ValueError):
            self.close()
            self._proc = None
            self._start_threads(order)

    def _start_threads(self, order: list[int]) -> None:
        pending = list(reversed(order))
        lock = threading.Lock()
        # Own descriptors: the caller may close its own before the digests are done.
        self._dups = {fd: os.dup(fd) for fd in {r.fd for r in self.regions}}

        def work() -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    i = pending.pop()
                region = self.regions[i]
                self._digests[i] = _hash_region(Region(self._dups[region.fd], region.offset, region.size))

        self._threads = [threading.Thread(target=work, daemon=True) for _ in range(_workers())]
        for thread in self._threads:
            thread.start()

    def digest(self, i: int) -> str | None:
        if self._proc is None:
            for thread in self._threads:
                thread.join()
            return self._digests[i]
        assert self._proc.stdout is not None
        while i not in self._digests:
            line = self._proc.stdout.readline()
            parts = line.split()
            if len(parts) != 2 or not parts[0].isdigit():
                self.close()
                raise DockoptError("the helper process hashing the layers stopped unexpectedly")
            self._digests[int(parts[0])] = None if parts[1] == "-" else parts[1]
        return self._digests[i]

    def close(self) -> None:
        """Stop hashing (after an error), or reap the helper (once every digest is known)."""
        if self._dups:
            for thread in self._threads:
                thread.join()
            for fd in self._dups.values():
                os.close(fd)
            self._dups = {}
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._proc is not None:
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe is not None and not pipe.closed:
                    pipe.close()


class PendingDigest:
    """The digest of one region, as `BlobResult` asks for it."""

    def __init__(self, hashes: RegionHashes, index: int):
        self.hashes, self.index = hashes, index

    def hexdigest(self) -> str:
        return self.hashes.digest(self.index) or "-"

    def close(self) -> None:
        pass
