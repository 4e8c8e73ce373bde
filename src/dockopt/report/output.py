"""Writing results: reports to stdout or a file (see `dockopt.outfile`), human-readable sizes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dockopt.display import display_data, display_path
from dockopt.outfile import output_target, write_output
from dockopt.units import human_bytes  # noqa: F401  (re-exported: renderers import it from here)


def dump_json(data: Any) -> str:
    """JSON with undecodable names in their display form (`\\xNN`, see dockopt.display)."""
    return json.dumps(display_data(data), indent=2, sort_keys=False, default=str) + "\n"


def write_text(text: str, path: str | Path | None) -> None:
    """Write a report to stdout (`path` None or "-") or to the file `path` names, as
    `dockopt.outfile` decides: atomically for a regular file or a new path (through a symbolic
    link to its target), in place for a device or FIFO. The text's line endings are kept.
    Undecodable names in `text` are written in their display form (`\\xNN`)."""
    write_output(display_path(text), path)


def write_rendered(render, path: str | Path | None, width: int = 160) -> None:
    """Run a rich renderer `render(console)` to the terminal, or to a file as plain text."""
    import io

    from rich.console import Console

    if output_target(path).how == "stdout":
        # rendered to a buffer first, so undecodable names reach the terminal as `\xNN` too
        terminal = Console()
        buffer = io.StringIO()
        render(Console(file=buffer, width=terminal.width, force_terminal=terminal.is_terminal,
                       color_system=terminal.color_system and "auto"))
        write_text(buffer.getvalue(), None)
        return
    console = Console(record=True, width=width, file=io.StringIO())
    render(console)
    write_text(console.export_text(), path)
