"""The one way a path the user names for output is written (`-o`, `--fix`, baselines, databases).

What the path is decides how it is written:
- `-` (or no path) is standard output; so is a path naming one of our open descriptors
  (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`), written through that descriptor.
- A regular file or a new path is replaced atomically: a temporary file beside it, then a
  rename, so a reader never sees half a report and a failed write leaves the old file whole.
  The file keeps its permission bits.
- A symbolic link is followed: the temporary file goes beside the link's final target and
  replaces that; the link itself stays a link.
- Anything else that exists (a character device, a FIFO, a socket) is opened and written in
  place, never replaced: `-o /dev/null` stays a device even for root.
Every failure (ENOSPC from `/dev/full`, EFBIG, EPIPE, permissions) is an `OutputError`: one
line, exit 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from dockopt.errors import OutputError

STDOUT = "stdout"
DESCRIPTOR = "descriptor"
ATOMIC = "atomic"
IN_PLACE = "in-place"

_FD_DIR = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd")


@dataclass(frozen=True)
class OutputTarget:
    how: str
    """STDOUT, DESCRIPTOR (`fd`), ATOMIC (replace `path`) or IN_PLACE (write into `path`)."""
    given: str
    """The path as the user wrote it, for messages."""
    path: Path | None = None
    """For ATOMIC and IN_PLACE: the file itself, symbolic links resolved."""
    fd: int | None = None
    mode: int = 0o644
    """For ATOMIC: the permission bits the file ends up with."""


def output_target(path: str | os.PathLike[str] | None) -> OutputTarget:
    """Decide how `path` is written (see the module docstring); nothing is opened yet."""
    if path is None or str(path) == "-":
        return OutputTarget(STDOUT, "-")
    given = str(path)
    fd = _descriptor_named(os.path.abspath(given))
    if fd is not None:
        return OutputTarget(STDOUT, given) if fd == 1 else OutputTarget(DESCRIPTOR, given, fd=fd)
    real = Path(os.path.realpath(given))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return OutputTarget(ATOMIC, given, real, mode=0o666 & ~_umask())
    except OSError as exc:
        raise OutputError(f"cannot write {given}: {exc.strerror or exc}") from None
    if stat.S_ISREG(info.st_mode):
        return OutputTarget(ATOMIC, given, real, mode=stat.S_IMODE(info.st_mode))
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {given}: it is a directory")
    return OutputTarget(IN_PLACE, given, real)


def write_output(content: str | bytes, path: str | os.PathLike[str] | None) -> None:
    """Write `content` (text is UTF-8, line endings kept) to the output `path` names, as
    `output_target` decides."""
    target = output_target(path)
    if target.how == STDOUT:
        if isinstance(content, str):
            sys.stdout.write(content)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    data = content.encode("utf-8") if isinstance(content, str) else content
    if target.how == DESCRIPTOR:
        assert target.fd is not None
        _write_all(target.fd, data, target.given)
    elif target.how == IN_PLACE:
        _write_in_place(target, data)
    else:
        with replacing(target) as tmp:
            fd = os.open(tmp, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                _write_all(fd, data, target.given)
            finally:
                os.close(fd)


@contextlib.contextmanager
def replacing(target: OutputTarget) -> Iterator[Path]:
    """A temporary file beside `target.path` for the caller to fill; on normal exit it gets the
    target's permission bits and is renamed over it, on any error it is removed."""
    assert target.how == ATOMIC and target.path is not None
    folder = target.path.parent
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"cannot write {target.given}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, target.mode)
        os.replace(tmp, target.path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {target.given}: {exc.strerror or exc}") from None
        raise


def _write_in_place(target: OutputTarget, data: bytes) -> None:
    # O_NONBLOCK: a FIFO nobody reads is an error now rather than a wait forever.
    try:
        fd = os.open(target.path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"cannot write {target.given}: no process is reading the FIFO") from None
        raise OutputError(f"cannot write {target.given}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode):  # swapped for a regular file since output_target looked
            raise OutputError(f"cannot write {target.given}: it changed while being opened")
        os.set_blocking(fd, True)
        _write_all(fd, data, target.given)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes, given: str) -> None:
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view[:1 << 20])
            view = view[written:]
    except OSError as exc:
        raise OutputError(f"cannot write {given}: {exc.strerror or exc}") from None


def _descriptor_named(path: str) -> int | None:
    """N if `path` (through any symbolic links) is /proc/<our pid>/fd/N, e.g. /dev/stdout."""
    for _ in range(40):
        head, tail = os.path.split(path)
        if tail.isdigit():
            match = _FD_DIR.fullmatch(os.path.realpath(head))
            if match and int(match.group(1)) == os.getpid():
                return int(tail)
        try:
            path = os.path.join(head, os.readlink(path))
        except OSError:
            return None
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

