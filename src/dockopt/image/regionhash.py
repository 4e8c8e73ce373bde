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

from dockopt.errors import DockoptError
from dockopt.image import rangehash_worker


@dataclass(frozen=True)
class Region:
    fd: int
    offset: int
    size: int


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


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
            if not os.path.isfile(rangehash_worker.__file__):
                raise OSError("the hashing helper is not a file (a zipped install)")
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-S", rangehash_worker.__file__, str(_workers())],
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
            view = memoryview(bytearray(4 << 20))  # larger reads: fewer returns to the GIL
            while True:
                with lock:
                    if not pending:
                        return
                    i = pending.pop()
                region = self.regions[i]
                self._digests[i] = rangehash_worker.digest_range(self._dups[region.fd], region.offset,
                                                                 region.size, view)

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
