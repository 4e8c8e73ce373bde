"""sha256 of byte ranges of open files: the work of `regionhash`'s helper process.

Run as a script (`python -I -S rangehash_worker.py THREADS`) it reads every request
`ID FD OFFSET SIZE` from stdin, then hashes them on THREADS threads in the order given and
writes `ID HEXDIGEST` (or `ID -` when the file ends inside the range) as each one finishes.
Only the standard library is used, so the helper starts without importing dockopt.
"""

import hashlib
import os
import sys
import threading

CHUNK = 1 << 20
"""Read size: the copy stays in the core's cache for the hash that follows it."""


def digest_range(fd: int, offset: int, size: int, view: memoryview) -> "str | None":
    """Hex sha256 of `size` bytes at `offset` of `fd`, read through the buffer `view`;
    None when the file ends inside the range or cannot be read."""
    sha, pos, end = hashlib.sha256(), offset, offset + size
    while pos < end:
        try:
            if hasattr(os, "preadv"):
                got = os.preadv(fd, [view[:min(len(view), end - pos)]], pos)
                data = view[:got]
            else:  # no preadv (macOS): a copy per read
                data = os.pread(fd, min(len(view), end - pos), pos)
                got = len(data)
        except OSError:
            return None
        if got <= 0:
            return None
        sha.update(data)
        pos += got
    return sha.hexdigest()


def main(threads: int) -> None:
    jobs = [tuple(int(x) for x in line.split()) for line in sys.stdin]
    jobs.reverse()
    lock = threading.Lock()

    def work() -> None:
        view = memoryview(bytearray(CHUNK))
        while True:
            with lock:
                if not jobs:
                    return
                ident, fd, offset, size = jobs.pop()
            digest = digest_range(fd, offset, size, view)
            with lock:
                sys.stdout.write(f"{ident} {digest or '-'}\n")
                sys.stdout.flush()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main(int(sys.argv[1]))
