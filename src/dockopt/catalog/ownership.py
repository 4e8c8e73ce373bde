"""Language packages that an OS package installed (Debian's `python3-pip` ships pip's dist-info).

The OS package databases list the files of each package (dpkg `info/<pkg>.list`, apk `F:`/`R:`
lines, rpm's BASENAMES/DIRNAMES header tags). Those lists are read in the same pass as
everything else, but only the paths a language cataloger could have found a package by are
kept (a Debian image lists 100,000 files; a few hundred of them are metadata), so memory stays
proportional to the language packages, not to the file count. After all catalogers ran, every
language package whose metadata path is in a surviving list gets `owned_by` = the owner's purl,
as syft's `ownership-by-file-overlap` relationship and trivy's skipping of files installed by
OS package managers (trivy PR 8842) do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Protocol

from dockopt.catalog.model import OS_TYPES, Package

# Executable catalogers (Go binaries) find packages in files with no telling name; of those a
# file list keeps the ones in the conventional program directories.
_PROGRAM_DIRS = ("bin", "sbin", "libexec")


class _Selects(Protocol):
    basenames: frozenset[str]
    suffixes: tuple[str, ...]
    prefixes: tuple[str, ...]
    executables: bool


class LanguagePaths:
    """Is this listed path one a language cataloger could have found a package by?"""

    def __init__(self, catalogers: Iterable[_Selects]) -> None:
        chosen = list(catalogers)
        self.basenames = frozenset(b for c in chosen for b in c.basenames)
        self.suffixes = tuple(s for c in chosen for s in c.suffixes)
        self.prefixes = tuple(p for c in chosen for p in c.prefixes)
        self.executables = any(c.executables for c in chosen)

    def __call__(self, path: str) -> bool:
        base = path[path.rfind("/") + 1:]
        if base in self.basenames or (self.suffixes and base.endswith(self.suffixes)):
            return True
        if self.prefixes and path.startswith(self.prefixes):
            return True
        if self.executables:
            parent = path[:path.rfind("/")]
            return parent[parent.rfind("/") + 1:] in _PROGRAM_DIRS
        return False


def metadata_path(package: Package) -> str | None:
    """The file a language package was found by (a nested jar counts as its outer archive)."""
    if not package.locations:
        return None
    return package.locations[0][1].split(":", 1)[0]


def mark_owned(packages: list[Package], owners: dict[str, tuple[str, str]]) -> list[Package]:
    """Set `owned_by` on each language package whose metadata path an OS package lists.

    `owners` maps a path to the (package type, name) whose surviving file list holds it."""
    if not owners:
        return packages
    purls: dict[tuple[str, str], str] = {}
    for p in packages:
        if p.type in OS_TYPES:
            purls.setdefault((p.type, p.name), p.purl or f"{p.type}:{p.name}@{p.version}")
    out = []
    for p in packages:
        owner = owners.get(metadata_path(p) or "") if p.type not in OS_TYPES else None
        purl = purls.get(owner) if owner else None
        out.append(replace(p, owned_by=purl) if purl else p)
    return out
