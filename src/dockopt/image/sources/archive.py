"""`docker-archive:PATH[:TAG]` and `oci-archive:PATH` — image tars on disk, read as one stream.

The archive is opened with a file-type check first (`open_archive`): a regular file is read
with random access; a pipe or FIFO that something writes into (`docker save app |
dockopt analyze docker-archive:/dev/stdin`) is read as a stream; a FIFO nobody writes to, a
device, a directory or a socket is one clear error, never a wait or an endless read.
"""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

from dockopt.errors import InputError
from dockopt.image.model import Image, Platform
from dockopt.image.scan import LayerReader, Source, StreamFromChunks
from dockopt.image.sources.savetar import read_save_file, read_save_tar
from dockopt.image.streams import CHUNK
from dockopt.safeload import open_regular


def open_archive(path: Path) -> tuple[int, bytes | None]:
    """A descriptor for an image archive and, for a pipe, the bytes already read from it
    (None for a regular file); InputError for anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{path} is a directory (use oci-dir: for an OCI layout folder)")
        if not stat.S_ISFIFO(mode):
            os.close(fd)
            fd = -1
            return open_regular(path, "image archive"), None
        # A non-blocking read tells the cases apart: bytes, EAGAIN (a writer is there, not
        # yet writing) or end of file (nothing writes to this FIFO: it would wait forever).
        try:
            head = os.read(fd, 1 << 16)
            if not head:
                raise InputError(f"image archive {path} is a FIFO with nothing writing to it")
        except BlockingIOError:
            head = b""
        os.set_blocking(fd, True)
        return fd, head
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise


class ArchiveSource(Source):
    def __init__(self, kind: str, path: str, tag: str | None = None, platform: Platform | None = None):
        self.kind = kind
        self.path = Path(path)
        self.tag = tag
        self.platform = platform
        self.reference = f"{kind}:{path}" + (f":{tag}" if tag else "")

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        fd, head = open_archive(self.path)
        with os.fdopen(fd, "rb", buffering=0) as handle:
            if head is None:
                return read_save_file(handle, reader, self.reference, self.kind, self.platform, self.tag)
            stream = StreamFromChunks(itertools.chain([head], iter(lambda: handle.read(CHUNK), b"")))
            return read_save_tar(stream, reader, self.reference, self.kind, self.platform, self.tag)
