"""The one way a Dockerfile's bytes are read (lint, context, fix): a regular file only, with a
size cap, so a Dockerfile that is a FIFO, a link to /dev/zero or a 1 GB file is one clear
error rather than a wait, an endless read or a parse of gigabytes. `-` is standard input."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dockopt.dockerfile.limits import MAX_DOCKERFILE_BYTES
from dockopt.errors import InputError
from dockopt.safeload import open_regular

TOO_LARGE = f"is too large: larger than {MAX_DOCKERFILE_BYTES >> 20} MiB, more than BuildKit accepts for a Dockerfile"


def read_dockerfile(path: str | Path) -> str:
    """The text of a Dockerfile (undecodable bytes replaced rather than refused)."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_DOCKERFILE_BYTES + 1)
        where = "standard input"
    else:
        fd = open_regular(path, "Dockerfile")
        try:
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(MAX_DOCKERFILE_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot read Dockerfile {path}: {exc.strerror or exc}") from None
        where = f"Dockerfile {path}"
    if len(data) > MAX_DOCKERFILE_BYTES:
        raise InputError(f"{where} {TOO_LARGE}")
    if b"\0" in data[:8192]:
        raise InputError(f"{where} is not a text file")
    return data.decode("utf-8", errors="replace")
