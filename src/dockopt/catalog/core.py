"""Catalogers as visitors of the one streaming pass.

Each cataloger names the files it needs (by basename or suffix). While layers stream past, the
`CatalogVisitor` asks for their content and hands it at once to the cataloger's `extract`, which
keeps only what it needs (so a 40 MB jar or Go binary is never held after it went past). Results
are kept per (layer blob, path); in `finish` only the versions that survive in the final
filesystem are built into packages. Database catalogers (dpkg, apk, rpm) also see the earlier
versions of their database, to tell in which layer each package first appeared.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from dockopt.catalog.model import Package
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.scan import LayerRef, ScanResult, Visitor


@dataclass
class Found:
    """One extracted file version."""

    path: str
    layer: int
    """Index of the layer that holds this version."""
    diff_id: str
    value: Any
    survives: bool


@dataclass
class Distro:
    id: str | None = None
    version_id: str | None = None
    version_codename: str | None = None
    pretty_name: str | None = None
    id_like: tuple[str, ...] = ()


@dataclass
class Context:
    """What a cataloger's `build` sees."""

    scan: ScanResult
    distro: Distro
    found: dict[str, list[Found]]
    """Per cataloger name: every extracted version, in layer order."""
    notes: list[str] = field(default_factory=list)

    def surviving(self, cataloger: str) -> list[Found]:
        return [f for f in self.found.get(cataloger, ()) if f.survives]

    def versions(self, cataloger: str, path: str) -> list[Found]:
        return [f for f in self.found.get(cataloger, ()) if f.path == path]

    def diff_id(self, index: int) -> str:
        return self.scan.image.layers[index].diff_id


class Cataloger:
    """Base class. `basenames`/`suffixes` pre-select paths cheaply; `wants` decides."""

    name = "cataloger"
    basenames: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    name_prefixes: tuple[str, ...] = ()
    """Basenames that start with one of these (versioned names: `libpython3.11.so.1.0`)."""
    executables = False
    """Also offered every executable regular file (Go binaries have no telling name)."""

    def wants(self, path: str, entry: FileEntry) -> int:
        """Bytes of content wanted (0: none)."""
        return entry.size

    def extract(self, path: str, data: bytes) -> Any:
        """Turn content into something small to keep; None to keep nothing."""
        return data

    def build(self, ctx: Context) -> list[Package]:
        return []


class CatalogVisitor(Visitor):
    name = "catalog"

    def __init__(self, catalogers: Iterable[Cataloger] | None = None):
        if catalogers is None:
            from dockopt.catalog.registry import default_catalogers

            catalogers = default_catalogers()
        self.catalogers = list(catalogers)
        self.by_basename: dict[str, list[Cataloger]] = {}
        self.by_suffix: list[tuple[str, Cataloger]] = []
        self.exec_catalogers = [c for c in self.catalogers if c.executables]
        for c in self.catalogers:
            for b in c.basenames:
                self.by_basename.setdefault(b, []).append(c)
            for s in c.suffixes:
                self.by_suffix.append((s, c))
        self.suffix_tuple = tuple(s for s, _ in self.by_suffix)
        self.by_prefix = [(p, c) for c in self.catalogers for p in c.prefixes]
        self.prefix_tuple = tuple(p for p, _ in self.by_prefix)
        self.by_name_prefix = [(p, c) for c in self.catalogers for p in c.name_prefixes]
        self.name_prefix_tuple = tuple(p for p, _ in self.by_name_prefix)
        self._pending: dict[tuple[str, str], list[Cataloger]] = {}
        self._store: dict[str, list[tuple[LayerRef, FileEntry, Any]]] = {}
        self.packages: list[Package] = []
        self.distro = Distro()
        self.notes: list[str] = []
        self.base_layers = 0

    def entry(self, layer: LayerRef, entry: FileEntry) -> int:
        if entry.type is not EntryType.FILE:
            return 0
        path = entry.path
        base = path[path.rfind("/") + 1:]
        takers = self.by_basename.get(base)
        candidates = list(takers) if takers else []
        if self.suffix_tuple and base.endswith(self.suffix_tuple):
            candidates.extend(c for s, c in self.by_suffix if base.endswith(s) and c not in candidates)
        if self.prefix_tuple and path.startswith(self.prefix_tuple):
            candidates.extend(c for p, c in self.by_prefix if path.startswith(p) and c not in candidates)
        if self.name_prefix_tuple and base.startswith(self.name_prefix_tuple):
            candidates.extend(c for p, c in self.by_name_prefix if base.startswith(p) and c not in candidates)
        if self.exec_catalogers and entry.mode & 0o111:
            candidates.extend(c for c in self.exec_catalogers if c not in candidates)
        if not candidates:
            return 0
        most, chosen = 0, []
        for c in candidates:
            n = c.wants(path, entry)
            if n:
                chosen.append(c)
                most = max(most, n)
        if chosen:
            self._pending[(layer.key, path)] = chosen
        return most

    def content(self, layer: LayerRef, entry: FileEntry, data: bytes) -> None:
        for c in self._pending.pop((layer.key, entry.path), ()):
            try:
                value = c.extract(entry.path, data)
            except Exception as exc:  # one malformed file must not lose the whole catalog
                self.notes.append(f"{c.name}: could not read {entry.path}: {type(exc).__name__}: {exc}")
                continue
            if value is not None:
                self._store.setdefault(c.name, []).append((layer, entry, value))

    def finish(self, result: ScanResult) -> None:
        fs = result.fs
        found: dict[str, list[Found]] = {}
        for name, items in self._store.items():
            rows = []
            for ref, entry, value in items:
                node = fs.get(entry.path)
                for index in ref.indices:
                    survives = node is not None and node.layer == index and node.entry is entry
                    rows.append(Found(entry.path, index, result.image.layers[index].diff_id, value, survives))
            rows.sort(key=lambda f: (f.layer, f.path))
            found[name] = rows
        self._store.clear()
        ctx = Context(result, Distro(), found, self.notes)
        for c in self.catalogers:  # os-release first (see registry), so the others know the distro
            try:
                packages = c.build(ctx)
            except Exception as exc:  # report, keep the other ecosystems
                self.notes.append(f"{c.name}: failed: {type(exc).__name__}: {exc}")
                continue
            self.packages.extend(packages)
        self.distro = ctx.distro


def attribute(packages: list[Package], diff_ids: list[str], base_layers: int) -> list[Package]:
    """Set `from_base` from the layer each package was first found in."""
    first_index: dict[str, int] = {}
    for i, d in enumerate(diff_ids):
        first_index.setdefault(d, i)
    out = []
    for p in packages:
        if p.locations and p.locations[0][0] in first_index:
            out.append(replace(p, from_base=first_index[p.locations[0][0]] < base_layers))
        else:
            out.append(p)
    return out


def norm(path: str) -> str:
    return posixpath.normpath(path)
