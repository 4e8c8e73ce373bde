"""The merged filesystem: layers applied in order, whiteouts and opaque directories honoured.

While applying, every file version that does not survive is reported to a `VersionLog`, so
waste is computed from exactly the same semantics as the final filesystem.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from dockopt.image.model import EntryType, FileEntry


@dataclass(slots=True)
class Node:
    entry: FileEntry
    layer: int
    """Index of the layer that set this final version."""


@dataclass(slots=True)
class HiddenVersion:
    """A file version stored in layer `added_in` that does not survive into the final filesystem."""

    path: str
    size: int
    added_in: int
    hidden_in: int
    how: str
    """`deleted` (whiteout or opaque directory), `replaced` (a later version), `dir-replaced`."""


@dataclass
class LayerChanges:
    added_files: int = 0
    added_bytes: int = 0
    modified_files: int = 0
    modified_bytes: int = 0
    removed_files: int = 0
    removed_bytes: int = 0
    """Bytes of lower-layer files this layer hides (deletes)."""


@dataclass
class MergedFilesystem:
    nodes: dict[str, Node] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)
    hidden: list[HiddenVersion] = field(default_factory=list)
    changes: list[LayerChanges] = field(default_factory=list)

    def get(self, path: str) -> Node | None:
        return self.nodes.get(path)

    def files(self) -> Iterator[tuple[str, Node]]:
        for path, node in self.nodes.items():
            if node.entry.type is EntryType.FILE:
                yield path, node

    @property
    def total_file_bytes(self) -> int:
        return sum(node.entry.size for _, node in self.files())

    def _link(self, path: str) -> None:
        while path != "/":
            parent = path.rpartition("/")[0] or "/"
            kids = self.children.get(parent)
            if kids is None:
                kids = self.children[parent] = set()
            elif path in kids:
                return
            kids.add(path)
            path = parent

    def _subtree(self, path: str) -> list[str]:
        out, stack = [], [path]
        while stack:
            p = stack.pop()
            out.append(p)
            stack.extend(self.children.get(p, ()))
        return out

    def _drop(self, path: str, layer: int, how: str, changes: LayerChanges, include_self: bool = True) -> None:
        """Remove `path` (and what lies below it) as of `layer`, logging hidden file versions."""
        paths = self._subtree(path) if include_self else [p for k in self.children.get(path, ()) for p in self._subtree(k)]
        for p in paths:
            node = self.nodes.pop(p, None)
            if node is not None and node.entry.type is EntryType.FILE:
                self.hidden.append(HiddenVersion(p, node.entry.size, node.layer, layer, how))
                if how == "deleted":
                    changes.removed_files += 1
                    changes.removed_bytes += node.entry.size
            if p != path or include_self:
                self.children.pop(p, None)
        if include_self:
            parent = posixpath.dirname(path)
            self.children.get(parent, set()).discard(path)
        else:
            self.children[path] = set()

    def apply_layer(self, index: int, entries: Iterable[FileEntry]) -> LayerChanges:
        """Apply one layer. Whiteouts of a layer only hide lower layers, so they go first."""
        changes = LayerChanges()
        additions: dict[str, FileEntry] = {}
        superseded: list[FileEntry] = []
        for entry in entries:
            if entry.type is EntryType.WHITEOUT:
                if entry.path in self.nodes or entry.path in self.children:
                    self._drop(entry.path, index, "deleted", changes)
            elif entry.type is EntryType.OPAQUE:
                self._drop(entry.path, index, "deleted", changes, include_self=False)
            else:
                earlier = additions.get(entry.path)
                if earlier is not None:
                    superseded.append(earlier)  # the same path twice in one tar: the last wins
                additions[entry.path] = entry
        for earlier in superseded:
            if earlier.type is EntryType.FILE:
                self.hidden.append(HiddenVersion(earlier.path, earlier.size, index, index, "replaced"))
        nodes, link = self.nodes, self._link
        for path, entry in additions.items():
            old = nodes.get(path)
            if old is not None:
                if old.entry.type is EntryType.DIR and entry.type is EntryType.DIR:
                    nodes[path] = Node(entry, index)
                    continue
                if old.entry.type is EntryType.DIR or entry.type is not EntryType.DIR:
                    how = "replaced" if entry.type is not EntryType.DIR and old.entry.type is not EntryType.DIR else "dir-replaced"
                    self._drop(path, index, how, changes)
                else:
                    self._drop(path, index, "dir-replaced", changes)
                if entry.type is EntryType.FILE:
                    changes.modified_files += 1
                    changes.modified_bytes += entry.size
            elif entry.type is EntryType.FILE:
                changes.added_files += 1
                changes.added_bytes += entry.size
            nodes[path] = Node(entry, index)
            link(path)
        self.changes.append(changes)
        return changes
