"""sha256 of byte ranges of open files, computed beside the tar parser.

A layer stored uncompressed in a regular file (a `docker save` archive, an OCI layout) is hashed
straight from the file while the parser seeks through its headers: the two need not share a
stream. Hashing is most of the work (1.5 GB is about a second of one core), and in-process
hashing threads starve behind a busy parser thread on the GIL, so the ranges are hashed in a
small helper interpreter (`rangehash_worker`) that inherits the open descriptors. If that
helper cannot be started, threads in this process do the same work instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass

from dockopt.image import rangehash_worker


@dataclass(frozen=True)
class Region:
    fd: int
    offset: int
    size: int


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class RegionHashes:
    """Starts hashing every region at once (largest first, so the workers finish together);
    `digest(i)` waits for region i. None means the file ended inside the region.

    It keeps its own copies of the descriptors, so the caller may close its files at once; if
    the helper process stops early, the digests it had not given are computed here instead."""

    def __init__(self, regions: list[Region]):
        self.regions = regions
        self._digests: dict[int, str | None] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._threads: list[threading.Thread] = []
        self._fds = {fd: os.dup(fd) for fd in {r.fd for r in regions}}
        order = sorted(range(len(regions)), key=lambda i: -regions[i].size)
        if not regions:
            return
        try:
            if not os.path.isfile(rangehash_worker.__file__):
                raise OSError("the hashing helper is not a file (a zipped install)")
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", rangehash_worker.__file__, str(_workers())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                pass_fds=sorted(self._fds.values()), text=True)
            assert self._proc.stdin is not None
            # The helper reads every request before it writes a line: no pipe can fill both ways.
            self._proc.stdin.write("".join(f"{i} {self._fds[regions[i].fd]} {regions[i].offset} {regions[i].size}\n"
                                           for i in order))
            self._proc.stdin.close()
        except (OSError, ValueError):
            self._stop_helper()
            self._start_threads(order)

    def _start_threads(self, order: list[int]) -> None:
        pending = list(reversed(order))
        lock = threading.Lock()

        def work() -> None:
            view = memoryview(bytearray(4 << 20))  # larger reads: fewer returns to the GIL
            while True:
                with lock:
                    if not pending or self._fds == {}:  # none left, or closed
                        return
                    i = pending.pop()
                region = self.regions[i]
                self._digests[i] = rangehash_worker.digest_range(self._fds[region.fd], region.offset,
                                                                 region.size, view)

        self._threads = [threading.Thread(target=work, daemon=True) for _ in range(_workers())]
        for thread in self._threads:
            thread.start()

    def digest(self, i: int) -> str | None:
        if self._proc is not None:
            assert self._proc.stdout is not None
            while i not in self._digests:
                parts = self._proc.stdout.readline().split()
                if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) >= len(self.regions):
                    # The helper stopped (killed, or refused to run): do the rest here.
                    self._stop_helper()
                    self._start_threads([j for j in range(len(self.regions)) if j not in self._digests])
                    break
                self._digests[int(parts[0])] = None if parts[1] == "-" else parts[1]
        if i not in self._digests:
            for thread in self._threads:
                thread.join()
        return self._digests[i]

    def _stop_helper(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        self._proc = None

    def close(self) -> None:
        """Stop hashing (after an error), or reap the helper (once every digest is known)."""
        self._stop_helper()
        fds, self._fds = self._fds, {}  # threads take no new region once this is empty
        for thread in self._threads:
            thread.join()
        for fd in fds.values():
            os.close(fd)


class PendingDigest:
    """The digest of one region, as `BlobResult` asks for it."""

    def __init__(self, hashes: RegionHashes, index: int):
        self.hashes, self.index = hashes, index

    def hexdigest(self) -> str:
        return self.hashes.digest(self.index) or "-"

    def close(self) -> None:
        pass
