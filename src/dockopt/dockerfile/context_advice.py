"""Advice on a build context: unreachable files, ignore suggestions, and `--fix` for `.dockerignore`.

A suggestion is a `.dockerignore` pattern that would stop sending something a build rarely
needs (VCS data, dependency folders, virtualenvs, caches, build outputs, logs) or must never
receive (local secrets). Suggestions never touch what a COPY/ADD names explicitly or what a `!`
exception in the user's file re-includes, and `--fix` only ever appends.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.dockerfile.context import BuildContext, ContextEntry
from dockopt.dockerfile.context_refs import ContextRefs
from dockopt.dockerfile.dockerignore import PatternMatcher, read_ignore_lines
from dockopt.findings import Category, Finding, Location, Severity
from dockopt.report.output import write_text
from dockopt.units import human_bytes, plural

FIX_HEADER = "# Added by dockopt context --fix"


@dataclass(frozen=True)
class Candidate:
    """A kind of path worth ignoring: how to recognise it and why."""

    kind: str
    reason: str
    severity: Severity
    category: Category
    dir_names: tuple[str, ...] = ()
    file_globs: tuple[str, ...] = ()
    not_globs: tuple[str, ...] = ()
    marker: str | None = None
    """A file whose presence inside a directory identifies it (e.g. `pyvenv.cfg`)."""
    top_level_only: bool = False
    """Names too common to match anywhere (`build` may be a source package deep inside)."""
    beside: tuple[str, ...] = ()
    """Top-level files that show the directory is tool output (`target` beside `Cargo.toml`)."""


_JS_PY = ("package.json", "setup.py", "pyproject.toml", "setup.cfg")
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("vcs", "version-control history is never needed in an image", Severity.MEDIUM, Category.SIZE,
              dir_names=(".git", ".hg", ".svn")),
    Candidate("dependencies", "dependencies are installed by the build, not copied from the host",
              Severity.MEDIUM, Category.SIZE, dir_names=("node_modules", "bower_components", ".yarn/cache")),
    Candidate("virtualenv", "a host virtualenv does not work in the image", Severity.MEDIUM, Category.SIZE,
              marker="pyvenv.cfg"),
    Candidate("cache", "caches of tools and interpreters", Severity.LOW, Category.SIZE,
              dir_names=("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox",
                         ".gradle", ".cache", ".parcel-cache", ".next/cache", ".terraform"),
              file_globs=("*.pyc", "*.pyo", ".coverage", ".DS_Store", "Thumbs.db")),
    Candidate("build-output", "build outputs are produced by the build", Severity.LOW, Category.SIZE,
              dir_names=("dist", "coverage", "htmlcov", ".eggs", "*.egg-info"), top_level_only=True,
              beside=_JS_PY),
    Candidate("build-output", "build outputs are produced by the build", Severity.LOW, Category.SIZE,
              dir_names=("build",), top_level_only=True,
              beside=(*_JS_PY, "build.gradle", "build.gradle.kts", "CMakeLists.txt")),
    Candidate("build-output", "build outputs are produced by the build", Severity.LOW, Category.SIZE,
              dir_names=("target",), top_level_only=True, beside=("Cargo.toml", "pom.xml", "build.sbt")),
    Candidate("logs", "logs and editor files", Severity.LOW, Category.SIZE,
              dir_names=(".idea", ".vscode"), file_globs=("*.log",)),
    # Files a build may legitimately read (`.npmrc` with `${NPM_TOKEN}`, `secrets.py`) are left out:
    # `--fix` must not break a build.
    Candidate("secret", "local secrets must not reach the builder (COPY . would bake them in)",
              Severity.HIGH, Category.SECURITY,
              dir_names=(".ssh", ".aws", ".gnupg"),
              file_globs=(".env", ".env.*", "*.pem", "*.key", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
                          "*.p12", "*.pfx", "*.jks", "*.keystore", ".netrc", "*.tfstate", "credentials.json"),
              not_globs=(".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub")),
)


@dataclass
class Suggestion:
    pattern: str
    kind: str
    reason: str
    severity: Severity
    category: Category
    files: int = 0
    bytes: int = 0
    examples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"pattern": self.pattern, "kind": self.kind, "reason": self.reason,
                "severity": str(self.severity), "files": self.files, "bytes": self.bytes,
                "examples": self.examples}


def _candidate_roots(context: BuildContext) -> list[tuple[Candidate, str, bool]]:
    """(candidate, matched path, is directory) for each sent path a candidate recognises."""
    entries = context.entries
    file_set = {e.path for e in entries if e.kind != "dir"}
    found: list[tuple[Candidate, str, bool]] = []
    claimed: set[str] = set()
    for entry in entries:
        parts = entry.path.split("/")
        if any("/".join(parts[:d]) in claimed for d in range(1, len(parts))):
            continue  # inside a directory already suggested
        name = parts[-1]
        for candidate in CANDIDATES:
            if candidate.top_level_only and len(parts) > 1:
                continue
            if candidate.beside and not any(f in file_set for f in candidate.beside):
                continue
            if entry.kind == "dir":
                hit = any(_name_match(entry.path, pat) for pat in candidate.dir_names)
                if not hit and candidate.marker:
                    hit = f"{entry.path}/{candidate.marker}" in file_set
                if hit:
                    found.append((candidate, entry.path, True))
                    claimed.add(entry.path)
                    break
            elif any(fnmatch.fnmatchcase(name, g) for g in candidate.file_globs) and not any(
                    fnmatch.fnmatchcase(name, g) for g in candidate.not_globs):
                found.append((candidate, entry.path, False))
                break
    return found


def _name_match(path: str, pattern: str) -> bool:
    if "/" in pattern:
        return path == pattern or path.endswith("/" + pattern)
    return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)


def _pattern_for(path: str, is_dir: bool, candidate: Candidate) -> str:
    """A pattern for `path`: top-level paths exactly; nested ones by name (or `*.ext`) anywhere."""
    if candidate.marker:  # virtualenvs have arbitrary names: ignore that very directory
        return _escape(path)
    name = _escape(path.rsplit("/", 1)[-1])
    if is_dir:
        for pat in candidate.dir_names:
            if _name_match(path, pat):
                name = pat
                break
    else:
        # `*.log` generalises; `.env.*` would also hide `.env.example`, so keep the exact name
        for glob in candidate.file_globs:
            if glob.startswith("*") and fnmatch.fnmatchcase(name, glob):
                name = glob
                break
    return name if "/" not in path and name == _escape(path) else f"**/{name}"


def _escape(literal: str) -> str:
    """A literal path as a .dockerignore pattern (wildcard characters escaped)."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in literal)


def suggest(context: BuildContext, refs: ContextRefs) -> list[Suggestion]:
    """Patterns worth adding, with the files and bytes each would stop sending."""
    user_exceptions = [p for p in context.matcher.patterns if p.exclusion]
    by_pattern: dict[str, Suggestion] = {}
    for candidate, path, is_dir in _candidate_roots(context):
        if refs.names(path):
            continue  # the Dockerfile asks for it by name
        pattern = _pattern_for(path, is_dir, candidate)
        if pattern not in by_pattern:
            by_pattern[pattern] = Suggestion(pattern, candidate.kind, candidate.reason,
                                             candidate.severity, candidate.category)
    out: list[Suggestion] = []
    for pattern, suggestion in by_pattern.items():
        hits = _newly_excluded(context, pattern)
        if not hits:
            continue
        if any(refs.names(e.path) for e in hits):
            continue
        if user_exceptions and any(_protected(e.path, user_exceptions) for e in hits):
            continue  # the user's `!` exception keeps some of these on purpose
        suggestion.files = len(hits)
        suggestion.bytes = sum(e.size for e in hits)
        suggestion.examples = [e.path for e in sorted(hits, key=lambda e: -e.size)[:3]]
        out.append(suggestion)
    out.sort(key=lambda s: (-int(s.severity), -s.bytes, s.pattern))
    return out


def _newly_excluded(context: BuildContext, pattern: str) -> list[ContextEntry]:
    """Sent files that the user's patterns plus `pattern` would no longer send."""
    alone = PatternMatcher([pattern], context.dialect).patterns[0]
    combined = context.matcher.with_pattern(pattern)
    dir_hit: dict[str, bool] = {}

    def touched(path: str) -> bool:  # the new pattern matches `path` or a directory above it
        parent = path.rpartition("/")[0]
        if parent and parent not in dir_hit:
            dir_hit[parent] = touched(parent)
        return alone.match(path) or (bool(parent) and dir_hit[parent])

    return [e for e in context.entries
            if e.kind != "dir" and touched(e.path) and not combined.would_send(e.path)]


def _protected(path: str, exceptions: list) -> bool:  # type: ignore[type-arg]
    parts = path.split("/")
    return any(p.match("/".join(parts[:d])) for p in exceptions for d in range(1, len(parts) + 1))


@dataclass
class Unreachable:
    path: str
    kind: str
    files: int
    bytes: int


def unreachable(context: BuildContext, refs: ContextRefs) -> list[Unreachable]:
    """Sent paths no COPY/ADD/bind mount reaches, collapsed to the largest wholly-unreached dirs."""
    if refs.whole_context:
        return []
    files = [e for e in context.entries if e.kind != "dir"]
    reached_dirs: set[str] = set()
    lost: list[ContextEntry] = []
    for entry in files:
        if refs.reaches(entry.path):
            parts = entry.path.split("/")
            reached_dirs.update("/".join(parts[:d]) for d in range(1, len(parts)))
        else:
            lost.append(entry)
    groups: dict[str, Unreachable] = {}
    reached_prefix: dict[str, bool] = {}
    for entry in lost:
        parts = entry.path.split("/")
        top = entry.path
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix not in reached_prefix:
                reached_prefix[prefix] = prefix in reached_dirs or refs.reaches(prefix)
            if not reached_prefix[prefix]:
                top = prefix
                break
        group = groups.setdefault(top, Unreachable(top, "dir" if top != entry.path else "file", 0, 0))
        group.files += 1
        group.bytes += entry.size
    return sorted(groups.values(), key=lambda u: (-u.bytes, u.path))


def findings(suggestions: list[Suggestion], lost: list[Unreachable], ignore_file: str) -> list[Finding]:
    """Suggestions and unreachable files as findings; located at the ignore file a fix edits."""
    ignore_name = Path(ignore_file).name
    out = [
        Finding(rule_id=f"context.{s.kind}", severity=s.severity, category=s.category,
                title="build context sends what the build does not need",
                message=f"{plural(s.files, 'file')}, {human_bytes(s.bytes)} sent: add `{s.pattern}` to {ignore_name} ({s.reason})",
                location=Location(file=ignore_file),
                estimated_bytes=s.bytes, details={"pattern": s.pattern, "examples": s.examples})
        for s in suggestions
    ]
    total = sum(u.bytes for u in lost)
    if lost:
        out.append(Finding(rule_id="context.unreachable", severity=Severity.INFO, category=Category.SIZE,
                           title="sent files no COPY/ADD reaches",
                           message=f"{plural(sum(u.files for u in lost), 'sent file')}, {human_bytes(total)}, "
                                   "are never copied or mounted by the Dockerfile",
                           estimated_bytes=total, details={"paths": [u.path for u in lost[:20]]}))
    return out


def fix_ignore_file(target: Path, suggestions: list[Suggestion]) -> list[str]:
    """Append the suggested patterns to `target` atomically; returns the patterns added.

    Existing lines are kept byte for byte; a pattern already present (after Docker's cleaning)
    is not added again, so running the fix twice changes nothing the second time.
    """
    try:
        original = target.read_bytes().decode("utf-8") if target.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        from dockopt.errors import InputError

        raise InputError(f"cannot update {target}: {exc}") from None
    present = {p for _, p in read_ignore_lines(original)}
    added = [s.pattern for s in suggestions if s.pattern not in present]
    added = list(dict.fromkeys(added))
    if not added:
        return []
    newline = "\r\n" if "\r\n" in original else "\n"
    text = original
    if text and not text.endswith("\n"):
        text += newline
    if FIX_HEADER not in original:
        text += (newline if text else "") + FIX_HEADER + newline
    text += "".join(p + newline for p in added)
    write_text(text, target)
    return added
