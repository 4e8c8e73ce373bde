"""Walking a directory tree depth first without recursion: a tree nested thousands of levels
deep (a build context, a folder of OSV records) costs one list of names per level, never a
Python stack frame, so depth is no RecursionError. Links are never followed into."""

from __future__ import annotations

import os
from typing import Callable, TypeVar

S = TypeVar("S")

Visit = Callable[[str, str, os.stat_result, S], "tuple[bool, S]"]
"""visit(relative path, path, lstat of it, state of its folder) -> (walk into it?, its state)."""


def walk_tree(root: str | os.PathLike[str], visit: Visit, state: S,
              unreadable: Callable[[str], None] | None = None) -> None:
    """Call `visit` for everything under `root`, depth first, names sorted, pre-order (a
    folder before its content). `visit` decides whether to walk into a folder (only real
    folders are walked into: a link to one is visited, never entered) and the state its
    children see. A folder that cannot be listed, or an entry that cannot be stat'ed, goes to
    `unreadable` with its relative path (the root's own listing failure as "")."""
    children = _listing(os.fspath(root))
    if children is None:
        if unreadable is not None:
            unreadable("")
        return
    stack = [(iter(children), "", state)]
    while stack:
        entries, prefix, parent = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        rel = prefix + entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            if unreadable is not None:
                unreadable(rel)
            continue
        descend, inner = visit(rel, entry.path, info, parent)
        if descend and entry.is_dir(follow_symlinks=False):
            listed = _listing(entry.path)
            if listed is None:
                if unreadable is not None:
                    unreadable(rel)
                continue
            stack.append((iter(listed), rel + "/", inner))


def _listing(path: str) -> list[os.DirEntry[str]] | None:
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return None
