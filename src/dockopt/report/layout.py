"""Fitting terminal output to its width: the width to use, middle-shortened names, plain tables
that give up room in their name columns first, and messages on their own indented lines."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import Any, Sequence

NARROW = 120
"""Below this many columns, rows whose message would wrap inside a table cell are printed as a
header line plus the message on its own indented lines instead."""


def output_width(stream: Any = None) -> int | None:
    """COLUMNS when set; the terminal's width when `stream` (stdout) is one; else None (a pipe
    or a file: lines are not wrapped, so logs and greps see whole lines)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return max(40, int(columns))
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return max(40, shutil.get_terminal_size().columns)
    except (AttributeError, ValueError, OSError):
        pass
    return None


def shorten_middle(text: str, width: int) -> str:
    """`/usr/lib/python3/…/site-packages/pip/__init__.py`: keeps both ends, the tail longer
    (that is where file names are)."""
    if len(text) <= width:
        return text
    if width < 5:
        return text[:width]
    head = (width - 1) // 3
    tail = width - 1 - head
    return text[:head] + "…" + text[len(text) - tail:]


def indented(text: str, width: int | None, indent: int = 4) -> list[str]:
    """A message on its own lines, indented, wrapped to `width` (unwrapped when None)."""
    pad = " " * indent
    if width is None:
        return [pad + text]
    return textwrap.wrap(text, max(20, width - indent), initial_indent=pad, subsequent_indent=pad,
                         break_on_hyphens=False, break_long_words=True) or [pad]


def prose(text: str, width: int | None) -> str:
    """A sentence wrapped to `width` (kept whole when None), ending in a newline."""
    if width is None:
        return text + "\n"
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False)) + "\n"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = (),
          width: int | None = None, shrink: Sequence[int] = ()) -> str:
    """A plain aligned text table: readable in a terminal, in a pipe and in a CI log alike.

    When `width` is given and the table is wider, the `shrink` columns (names, paths) give up
    room first, longest first, their cells shortened in the middle; then the last column (the
    prose one: a reason, a source) wraps onto lines aligned under itself.
    """
    cells = [[str(h) for h in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if width is not None:
        excess = sum(widths) + 2 * (len(widths) - 1) - width
        floor = {i: max(len(cells[0][i]), 24) for i in shrink}
        while excess > 0:
            candidates = [i for i in shrink if widths[i] > floor[i]]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    last = len(widths) - 1
    start = sum(widths[:last]) + 2 * last
    wrap_at = None
    if width is not None and start + widths[last] > width and last not in shrink and last not in right:
        wrap_at = max(12, width - start)
    lines = []
    for row in cells:
        parts = []
        for i, cell in enumerate(row):
            cell = shorten_middle(cell, widths[i]) if i in shrink else cell
            parts.append(cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
        if wrap_at is None:
            lines.append("  ".join(parts).rstrip())
            continue
        pieces = textwrap.wrap(row[last], wrap_at, break_on_hyphens=False) or [""]
        lines.append(("  ".join(parts[:last]) + "  " + pieces[0]).rstrip())
        lines.extend(" " * start + piece for piece in pieces[1:])
    return "\n".join(lines) + "\n"
