"""Standard output as the console entry point sees it: one place where a closed stdout, a full
disk behind it or a reader that went away become the project's own outcomes.

Every writer (reports, click.echo, rich) goes through `sys.stdout`, so the guard sits under it,
at the file-descriptor level:
- stdout closed when we start (`dockopt analyze … >&-`): writing is an `OutputError` (one line,
  exit 2), and descriptors 0-2 are held open on /dev/null so that no file we open later can
  take descriptor 1 and receive the report by accident;
- a write error (ENOSPC from `> /dev/full`, EIO …): an `OutputError`;
- EPIPE (`dockopt lint … | head -1`): `ReaderGone`, which the entry point turns into a quiet
  exit with status 141, what a shell reports for a tool that SIGPIPE ended. Python ignores
  SIGPIPE, so without this the write would raise and click would exit 1 (the findings status).
After the first failure further writes are discarded, so flushing at exit cannot fail again.
"""

from __future__ import annotations

import io
import os
import sys

from dockopt.errors import OutputError

EXIT_READER_GONE = 141
"""128 + SIGPIPE: the status of a command whose reader went away."""


class ReaderGone(Exception):
    """The process reading our standard output closed it (EPIPE). Not an OSError, so that
    click's own EPIPE handling (exit 1) does not catch it."""


class _GuardedStdout(io.RawIOBase):
    def __init__(self, fd: int, closed_at_start: bool):
        super().__init__()
        self._fd = fd
        self._closed_at_start = closed_at_start
        self._discard = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return not self._closed_at_start and os.isatty(self._fd)

    def write(self, data) -> int:  # type: ignore[override]
        size = len(data)
        if self._discard:
            return size
        if self._closed_at_start:
            self._discard = True
            raise OutputError("cannot write the report: standard output is closed")
        try:
            return os.write(self._fd, data)
        except BrokenPipeError:
            self._discard = True
            raise ReaderGone() from None
        except OSError as exc:
            self._discard = True
            raise OutputError(f"cannot write standard output: {exc.strerror or exc}") from None


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def guard_standard_streams() -> None:
    """Hold descriptors 0-2 open and put the guard under `sys.stdout` (see the module doc)."""
    closed = sys.stdout is None or not _is_open(1)
    while True:  # each open takes the lowest free descriptor: fills 0, 1, 2 wherever closed
        fd = os.open(os.devnull, os.O_RDWR)
        if fd > 2:
            os.close(fd)
            break
    original = sys.stdout
    raw = _GuardedStdout(1, closed)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw, buffer_size=1 << 16),
        encoding=getattr(original, "encoding", None) or "utf-8",
        errors=getattr(original, "errors", None) or "strict",
        line_buffering=bool(getattr(original, "line_buffering", False)))
