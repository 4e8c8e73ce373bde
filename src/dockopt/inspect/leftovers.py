"""Leftovers in the final filesystem: package-manager caches and lists, language caches, bytecode
next to its sources, docs, core dumps, `.git` directories and test folders — each with the
bytes it costs and the layer that added it, so the user knows which line to change."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Callable

from dockopt.findings import Category, Finding, Location, Severity
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.scan import LayerRef, ScanResult
from dockopt.inspect.checks import ImageCheck, first_index, layer_digest, layer_label
from dockopt.units import human_bytes, plural

CORE_NAME = re.compile(r"^core(?:\.\d+)?$")
PYC = re.compile(r"^(.*)/__pycache__/([^/.]+)\.[^/]*\.pyc$")
TEST_DIR = re.compile(r"/(?:tests?|__tests__|spec)(?:/|$)")
DISTRO_PYTHON = ("/usr/lib/python3/", "/usr/lib/python2", "/usr/lib/python3.")
VENDORED = ("/site-packages/", "/dist-packages/", "/node_modules/", "/usr/lib/", "/usr/share/")


@dataclass(frozen=True)
class LeftoverRule:
    rule_id: str
    title: str
    advice: str
    matches: Callable[[str], bool]
    info_only: bool = False


def _under(*prefixes: str) -> Callable[[str], bool]:
    return lambda p: p.startswith(prefixes)


def _contains(*parts: str) -> Callable[[str], bool]:
    return lambda p: any(part in p for part in parts)


RULES = (
    LeftoverRule("leftovers.apt-lists", "apt package lists",
                 "end the RUN that calls apt-get update with `rm -rf /var/lib/apt/lists/*`",
                 lambda p: p.startswith("/var/lib/apt/lists/") and posixpath.basename(p) != "lock"),
    LeftoverRule("leftovers.apt-cache", "apt .deb cache", "run `apt-get clean` in the same RUN",
                 lambda p: (p.startswith("/var/cache/apt/archives/") and p.endswith(".deb"))
                 or (p.startswith("/var/cache/apt/") and p.endswith(".bin"))),
    LeftoverRule("leftovers.apk-cache", "apk cache", "use `apk add --no-cache`", _under("/var/cache/apk/", "/etc/apk/cache/")),
    LeftoverRule("leftovers.dnf-cache", "dnf/yum cache", "run `dnf clean all` (or yum) in the same RUN",
                 _under("/var/cache/dnf/", "/var/cache/yum/")),
    LeftoverRule("leftovers.pip-cache", "pip cache", "use `pip install --no-cache-dir` or a cache mount",
                 _contains("/.cache/pip/")),
    LeftoverRule("leftovers.npm-cache", "npm/yarn cache", "use `npm ci && npm cache clean --force` or a cache mount",
                 _contains("/.npm/_cacache/", "/.cache/yarn/", "/.yarn-cache/", "/.cache/pnpm/")),
    LeftoverRule("leftovers.git", ".git directory", "add .git to .dockerignore", _contains("/.git/")),
    LeftoverRule("leftovers.docs", "documentation, man pages and locales",
                 "install with --no-install-recommends and path-exclude docs (dpkg) if size matters",
                 _under("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/share/locale/"),
                 info_only=True),
)


RULE_HINT = re.compile(r"^/var/lib/apt/lists/|^/var/cache/|^/etc/apk/cache/|/\.cache/|/\.npm/|/\.yarn-cache/"
                       r"|/\.git/|^/usr/share/")
"""Matches every path some rule in RULES may match: most paths need no rule tried."""


@dataclass
class _Group:
    rule_id: str
    layer: int
    bytes: int = 0
    files: int = 0
    sample: list[str] = field(default_factory=list)
    roots: set[str] = field(default_factory=set)


class LeftoversCheck(ImageCheck):
    family = "leftovers"
    name = "leftovers"

    def __init__(self) -> None:
        self.core_dumps: list[tuple[LayerRef, str]] = []
        """(layer, path) of files named like core dumps whose content starts with the ELF magic."""

    def entry(self, layer: LayerRef, entry: FileEntry) -> int:
        if entry.type is EntryType.FILE and entry.size >= 4 and "/core" in entry.path \
                and CORE_NAME.match(posixpath.basename(entry.path)):
            return 20
        return 0

    def content(self, layer: LayerRef, entry: FileEntry, data: bytes) -> None:
        # e_type 4 (ET_CORE) at offset 16, either byte order: a core dump, not a program named `core`.
        if data[:4] == b"\x7fELF" and len(data) >= 18 and 4 in (data[16], data[17]):
            self.core_dumps.append((layer, entry.path))

    def findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        fs = result.fs
        groups: dict[tuple[str, int], _Group] = {}
        copy_layers = {s.layer.index for s in result.layers
                       if s.layer.created_by.strip().upper().startswith(("COPY", "ADD"))}
        cores = {(first_index(ref), path) for ref, path in self.core_dumps}

        def add(rule_id: str, path: str, layer: int, size: int, root: str | None = None) -> None:
            g = groups.setdefault((rule_id, layer), _Group(rule_id, layer))
            g.bytes += size
            g.files += 1
            if len(g.sample) < 3:
                g.sample.append(path)
            if root:
                g.roots.add(root)

        for path, node in fs.files():
            size = node.entry.size
            rule = next((r for r in RULES if r.matches(path)), None) if RULE_HINT.search(path) else None
            if rule is not None:
                root = path.split("/.git/", 1)[0] + "/.git" if rule.rule_id == "leftovers.git" else None
                add(rule.rule_id, path, node.layer, size, root)
                continue
            m = PYC.match(path) if path.endswith(".pyc") else None
            # Distribution Python packages are byte-compiled by their postinst on purpose.
            if m and not path.startswith(DISTRO_PYTHON) and fs.get(f"{m.group(1)}/{m.group(2)}.py") is not None:
                add("leftovers.pycache", path, node.layer, size)
            elif (node.layer, path) in cores:
                add("leftovers.core-dump", path, node.layer, size)
            elif node.layer in copy_layers and TEST_DIR.search(path) and not any(v in path for v in VENDORED):
                m = TEST_DIR.search(path)
                add("leftovers.tests", path, node.layer, size, path[:m.end()].rstrip("/"))
        return [self._finding(result, g, base_layers) for g in sorted(groups.values(), key=lambda g: (g.layer, g.rule_id))]

    @staticmethod
    def _finding(result: ScanResult, g: _Group, base_layers: int) -> Finding:
        rule = next((r for r in RULES if r.rule_id == g.rule_id), None)
        title, advice = EXTRA.get(g.rule_id, (rule.title, rule.advice) if rule else ("leftovers", ""))
        from_base = g.layer < base_layers
        if from_base or (rule and rule.info_only):
            severity = Severity.INFO
        elif g.rule_id in ("leftovers.git", "leftovers.core-dump"):
            severity = Severity.MEDIUM  # history and memory can hold secrets, whatever their size
        else:
            severity = Severity.MEDIUM if g.bytes >= 10_000_000 else Severity.LOW
        where = ", ".join(sorted(g.roots)[:3]) if g.roots else ", ".join(g.sample)
        return Finding(
            rule_id=g.rule_id, severity=severity, category=Category.SIZE if severity < Severity.MEDIUM or g.rule_id not in
            ("leftovers.git", "leftovers.core-dump") else Category.SECURITY,
            title=f"{title} left in the image",
            message=f"{title}: {plural(g.files, 'file')}, {human_bytes(g.bytes)} added in {layer_label(result, g.layer, base_layers)} "
                    f"({where}{'…' if g.files > len(g.sample) and not g.roots else ''}); {advice}",
            location=Location(layer_index=g.layer, layer_digest=layer_digest(result, g.layer),
                              path=sorted(g.roots)[0] if g.roots else g.sample[0]),
            estimated_bytes=g.bytes,
            details={"files": g.files, "bytes": g.bytes, "examples": g.sample, "roots": sorted(g.roots),
                     "from_base": from_base})


EXTRA = {
    "leftovers.pycache": ("Python bytecode next to its sources", "set PYTHONDONTWRITEBYTECODE=1 or delete __pycache__"),
    "leftovers.core-dump": ("core dumps", "delete them and add core* to .dockerignore"),
    "leftovers.tests": ("test folders", "add tests/ to .dockerignore"),
}
