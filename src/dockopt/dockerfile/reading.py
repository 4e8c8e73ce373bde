"""The one way a Dockerfile's bytes are read (lint, context, fix): a regular file only, with a
size cap, so a Dockerfile that is a FIFO, a link to /dev/zero or a 1 GB file is one clear
error rather than a wait, an endless read or a parse of gigabytes. `-` is standard input."""

from __future__ import annotations

import sys
from pathlib import Path

from dockopt.errors import InputError
from dockopt.safeload import read_regular_file

MAX_DOCKERFILE_BYTES = 4 << 20
"""Real Dockerfiles are kilobytes; a few megabytes is far past any that a build would use."""


def read_dockerfile(path: str | Path) -> str:
    """The text of a Dockerfile (undecodable bytes replaced rather than refused)."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_DOCKERFILE_BYTES + 1)
        if len(data) > MAX_DOCKERFILE_BYTES:
            raise InputError(f"the Dockerfile on standard input is too large (over {MAX_DOCKERFILE_BYTES} bytes)")
        where = "standard input"
    else:
        data = read_regular_file(path, "Dockerfile", MAX_DOCKERFILE_BYTES)
        where = str(path)
    if b"\0" in data[:8192]:
        raise InputError(f"{where} is not a text file")
    return data.decode("utf-8", errors="replace")
