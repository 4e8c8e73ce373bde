"""What `docker build` sends: the build context after `.dockerignore`, walked as Docker walks it.

Symbolic links are never followed (Docker sends them as links). Sizes are apparent sizes of
regular files; a link counts the length of its target, a directory nothing.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.dockerfile.dockerignore import DIALECTS, Dialect, MatchInfo, PatternMatcher
from dockopt.errors import InputError
from dockopt.safeload import file_kind, read_regular_file
from dockopt.treewalk import walk_tree


@dataclass(frozen=True)
class ContextEntry:
    path: str
    """Relative to the context root, `/`-separated."""
    kind: str
    """`file`, `dir`, `symlink` or `other` (fifo, socket, device)."""
    size: int


@dataclass
class BuildContext:
    root: Path
    dockerfile: Path
    ignore_file: Path | None
    """The ignore file in effect (`<Dockerfile>.dockerignore` or `.dockerignore`), if any."""
    dialect: Dialect
    matcher: PatternMatcher
    entries: list[ContextEntry] = field(default_factory=list)
    """Everything the build can see, in walk order (directories included)."""
    unreadable: list[str] = field(default_factory=list)
    """Sent paths that cannot be read: `docker build` fails on them."""

    @property
    def files(self) -> list[ContextEntry]:
        return [e for e in self.entries if e.kind != "dir"]

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)

    def visible_paths(self) -> set[str]:
        """Paths a `COPY . /dst` would create: sent entries plus the directories that hold them."""
        out: set[str] = set()
        for entry in self.entries:
            out.add(entry.path)
            parts = entry.path.split("/")
            for depth in range(1, len(parts)):
                out.add("/".join(parts[:depth]))
        return out


def find_ignore_file(root: Path, dockerfile: Path, dialect: Dialect) -> Path | None:
    """BuildKit prefers `<Dockerfile>.dockerignore` beside the Dockerfile over `.dockerignore`."""
    if dialect.dockerfile_ignore:
        specific = dockerfile.with_name(dockerfile.name + ".dockerignore")
        if os.path.lexists(specific):  # whatever it is: reading it says if it is no text file
            return specific
    default = root / ".dockerignore"
    return default if os.path.lexists(default) else None


def resolve_paths(directory: str | Path, dockerfile: str | Path | None) -> tuple[Path, Path]:
    """The context root and Dockerfile as `docker build` resolves them (-f relative to the cwd)."""
    root = Path(directory)
    if not root.exists():
        raise InputError(f"build context {directory} does not exist")
    if not root.is_dir():
        raise InputError(f"build context {directory} is not a directory")
    file = Path(dockerfile) if dockerfile is not None else root / "Dockerfile"
    if not os.path.lexists(file):
        if dockerfile is None:
            raise InputError(f"no Dockerfile in {directory} (name one with -f)")
        raise InputError(f"Dockerfile {dockerfile} does not exist")
    try:
        mode = os.stat(file).st_mode
    except OSError as exc:
        raise InputError(f"cannot read Dockerfile {file}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"Dockerfile {file} is {file_kind(mode)}, not a regular file")
    if not os.access(file, os.R_OK):
        raise InputError(f"cannot read Dockerfile {file}: permission denied")
    return root.resolve(), file.resolve()


def load_context(directory: str | Path, dockerfile: str | Path | None = None,
                 dialect: str | Dialect = "buildkit") -> BuildContext:
    """Walk the context the way the chosen Docker dialect does and return what it would send."""
    if isinstance(dialect, str) and dialect not in DIALECTS:
        raise InputError(f"unknown .dockerignore dialect {dialect!r} (expected one of: {', '.join(DIALECTS)})")
    chosen = DIALECTS[dialect] if isinstance(dialect, str) else dialect
    root, file = resolve_paths(directory, dockerfile)
    ignore_file = find_ignore_file(root, file, chosen)
    text = ""
    if ignore_file is not None:
        text = read_regular_file(ignore_file, "ignore file").decode("utf-8", errors="replace")
    matcher = PatternMatcher.from_text(text, chosen, source=str(ignore_file or ".dockerignore"))
    context = BuildContext(root=root, dockerfile=file, ignore_file=ignore_file, dialect=chosen,
                           matcher=matcher)
    _walk(root, matcher, context)
    return context


def _walk(root: Path, matcher: PatternMatcher, context: BuildContext) -> None:
    """Every entry Docker sends, in its walk order (iteratively: any nesting depth)."""

    def visit(rel: str, path: str, info: os.stat_result, parent: MatchInfo | None) -> tuple[bool, MatchInfo | None]:
        is_dir = stat.S_ISDIR(info.st_mode)
        excluded, match_info = matcher.match(rel, parent)
        if excluded:
            if is_dir and matcher.walk_into_excluded(rel):
                if matcher.dialect.sends_walked_excluded_dirs:
                    context.entries.append(ContextEntry(rel, "dir", 0))
                return True, match_info
            return False, match_info
        if is_dir:
            context.entries.append(ContextEntry(rel, "dir", 0))
            return True, match_info
        if stat.S_ISLNK(info.st_mode):
            context.entries.append(ContextEntry(rel, "symlink", info.st_size))
        elif stat.S_ISREG(info.st_mode):
            context.entries.append(ContextEntry(rel, "file", info.st_size))
            if not os.access(path, os.R_OK):
                context.unreadable.append(rel)
        else:
            context.entries.append(ContextEntry(rel, "other", 0))
        return False, match_info

    def cannot_read(rel: str) -> None:
        if rel:  # the root itself was checked by resolve_paths
            context.unreadable.append(rel)

    walk_tree(root, visit, None, cannot_read)


@dataclass(frozen=True)
class PathWeight:
    path: str
    bytes: int
    files: int


def heaviest_files(context: BuildContext, limit: int) -> list[PathWeight]:
    ranked = sorted(context.files, key=lambda e: (-e.size, e.path))
    return [PathWeight(e.path, e.size, 1) for e in ranked[:limit]]


def directory_weights(entries: list[ContextEntry]) -> dict[str, PathWeight]:
    """Recursive bytes and file counts of every directory holding sent entries."""
    sizes: dict[str, list[int]] = {}
    for entry in entries:
        if entry.kind == "dir":
            sizes.setdefault(entry.path, [0, 0])
            continue
        parts = entry.path.split("/")
        for depth in range(1, len(parts)):
            slot = sizes.setdefault("/".join(parts[:depth]), [0, 0])
            slot[0] += entry.size
            slot[1] += 1
    return {path: PathWeight(path, b, n) for path, (b, n) in sizes.items()}


def heaviest_directories(context: BuildContext, limit: int) -> list[PathWeight]:
    """The directories holding the most bytes; a directory whose weight is all in its parent's
    (`.git/objects` under `.git`) is left out, so the list names distinct places."""
    weights = directory_weights(context.entries)
    shown = []
    for weight in weights.values():
        if not weight.files:
            continue
        parent = weights.get(weight.path.rpartition("/")[0])
        if parent is not None and (parent.bytes, parent.files) == (weight.bytes, weight.files):
            continue
        shown.append(weight)
    return sorted(shown, key=lambda w: (-w.bytes, w.path))[:limit]
