"""Writing results: atomic files, stdout, human-readable sizes."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from dockopt.errors import InputError
from dockopt.units import human_bytes  # noqa: F401  (re-exported: renderers import it from here)


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"


def write_text(text: str, path: str | Path | None, newline: str | None = None) -> None:
    """Write to stdout (`path` None or "-") or atomically to a file: temp file, then rename.

    An existing file keeps its permission bits; a new one gets the usual 0666 less umask.
    `newline=""` writes the text's line endings exactly (for rewriting user files).
    """
    if path is None or str(path) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise


def write_rendered(render, path: str | Path | None, width: int = 160) -> None:
    """Run a rich renderer `render(console)` to the terminal, or to a file as plain text."""
    import io

    from rich.console import Console

    if path is None or str(path) == "-":
        render(Console())
        return
    console = Console(record=True, width=width, file=io.StringIO())
    render(console)
    write_text(console.export_text(), path)
