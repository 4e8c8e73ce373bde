""".dockerignore evaluation with Docker's exact semantics.

Docker does not use gitignore rules. A `.dockerignore` line is cleaned (`filepath.Clean`, a
leading `/` dropped), turned into a regular expression (Go `filepath.Match` syntax plus `**`),
and evaluated in order: the last pattern that matches a path, or one of its parent directories,
decides (`!` patterns re-include). The context walk skips an excluded directory unless an
exception could re-include something beneath it.

Three dialects exist in the wild and they disagree on corner cases, so each is modelled:

- `buildkit`: Docker 23+ / buildx (moby/patternmatcher 0.6 and the fsutil walker). Per-pattern
  parent results are inherited during the walk, and a directory is still walked when an
  exception contains a wildcard.
- `legacy-classic`: Docker 20.10's classic builder (pkg/fileutils). Only the parent directory
  with as many components as the pattern is checked (so `**/foo` does not hide `x/y/foo/f`
  once the walk enters `x/y/foo`), an excluded directory is walked only when some exception
  starts with `dir/`, regular-expression characters `+ ( ) | { }` in patterns are not escaped
  (`a+b` hides `aab`, not `a+b`), and `<Dockerfile>.dockerignore` is not read.
- `legacy-buildkit`: Docker 20.10 with BuildKit: the same matching, plus the Dockerfile-specific
  ignore file, and an excluded directory the walk enters is still sent (it appears empty).

(docker-py's `images.build(path=...)` filters with its own Python rules, which differ again,
e.g. for `star\\*.txt`; use the Docker CLI to compare.)

The two legacy dialects are checked against the real 20.10 engine in the tests.
"""

from __future__ import annotations

import bisect
import copy
from dataclasses import dataclass

from dockopt.dockerfile.go_regexp import GoRegexp
from dockopt.dockerfile.ignore_index import PatternIndex, literal_end, literal_start
from dockopt.dockerfile.gopath import clean_path, go_pattern_error
from dockopt.errors import InputError


@dataclass(frozen=True)
class Dialect:
    name: str
    description: str
    escape_regex_meta: bool
    """Also escape `+ ( )` (patternmatcher ≥ 0.5; `|`, `{`, `}` are meant to be escaped too, but
    their bits overflow its bitmap, so they stay regex syntax); otherwise only `.` and `$`."""
    inherit_parent_results: bool
    """MatchesUsingParentResults (walk-time inheritance) instead of the single-parent Matches."""
    glob_aware_descent: bool
    """Walk every excluded directory when an exception holds a wildcard (fsutil ≥ 0.0.0-2023)."""
    fast_paths: bool
    """Exact/prefix/suffix shortcuts of patternmatcher (they differ from the regex for `**foo`)."""
    dockerfile_ignore: bool
    """Honours `<Dockerfile>.dockerignore` beside the Dockerfile."""
    sends_walked_excluded_dirs: bool = False
    """An excluded directory the walk still enters is itself sent (old fsutil): it appears empty."""


DIALECTS: dict[str, Dialect] = {
    "buildkit": Dialect("buildkit", "Docker 23+ / buildx (BuildKit)", True, True, True, True, True),
    "legacy-buildkit": Dialect("legacy-buildkit", "Docker 20.10 with DOCKER_BUILDKIT=1",
                               False, False, False, False, True, sends_walked_excluded_dirs=True),
    "legacy-classic": Dialect("legacy-classic", "Docker 20.10 classic builder",
                              False, False, False, False, False),
}
DEFAULT_DIALECT = "buildkit"


class IgnorePatternError(InputError):
    """A pattern Docker rejects (the build would fail)."""


def read_ignore_lines(text: str) -> list[tuple[int, str]]:
    """Docker's ignorefile.ReadAll: (1-based line number, normalised pattern) for each pattern.

    `#` starts a comment only in the first column; lines are whitespace-trimmed; `!` may be
    followed by spaces; patterns are cleaned and a leading `/` is removed.
    """
    out: list[tuple[int, str]] = []
    text = text.removeprefix("\ufeff")
    for number, line in enumerate(_go_scanner_lines(text), start=1):
        if line.startswith("#"):
            continue
        pattern = line.strip(" \t\r\n\v\f")
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip(" \t\r\n\v\f")
        if pattern:
            pattern = clean_path(pattern)
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        out.append((number, "!" + pattern if invert else pattern))
    return out


def _go_scanner_lines(text: str) -> list[str]:
    # bufio.ScanLines splits on \n only and drops one trailing \r.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


# The escapes a pattern may use: Go's single-letter ones (other letters and digits are rejected,
# so `\x41`, `\pL` and backreferences never reach the engine).
_LETTER_ESCAPES = set("dDwWsSbBAzntrfva")


def _escaped(ch: str) -> str:
    if not ch.isascii():
        raise ValueError(f"invalid escape sequence \\{ch}")
    if ch.isalnum() and ch not in _LETTER_ESCAPES:
        raise ValueError(f"invalid escape sequence \\{ch}")
    return "\\" + ch


class Pattern:
    """One cleaned pattern: how Docker's patternmatcher compiles and matches it.

    The expression is built as Docker builds it and run by RE2 (linear time, Go's syntax). It
    is compiled on first use, as Docker does, except when it could be rejected (classes,
    escapes, regular-expression syntax): those compile at once, so an error surfaces at the
    first evaluation whatever the candidate index says.
    """

    __slots__ = ("text", "exclusion", "depth", "where", "key", "_kind", "_source", "_regex", "_literal",
                 "_error")

    def __init__(self, text: str, exclusion: bool, where: str, dialect: Dialect) -> None:
        self.text = text
        self.exclusion = exclusion
        self.depth = text.count("/") + 1
        """Path components, for the single-parent rule of the legacy dialects."""
        self.where = where
        self._error: str | None = None
        self._regex: GoRegexp | None = None
        try:
            self._compile(dialect)
        except ValueError as exc:
            # Docker compiles lazily: the build fails only if the pattern is ever evaluated.
            self._kind, self._error = "error", str(exc)
        self.key = self._index_key(dialect)

    def _compile(self, dialect: Dialect) -> None:
        # `kind` tracks patternmatcher's fast paths, which newer dialects use instead of the
        # expression when they apply.
        escaped_meta = "+()" if dialect.escape_regex_meta else ""
        out = ["(?:^)"]  # a group, so a following `{n}` repeats it as Go allows
        kind = "exact"
        p, i, n, step = self.text, 0, len(self.text), 0
        dangling = False
        while i < n:
            ch = p[i]
            i += 1
            if ch == "*":
                if i < n and p[i] == "*":
                    i += 1
                    if i < n and p[i] == "/":
                        i += 1
                    if i >= n:
                        out.append(".*")
                        kind = "prefix" if kind == "exact" else "regex"
                    else:
                        out.append("(.*/)?")
                        kind = "regex"
                    if step == 0:
                        kind = "suffix"
                else:
                    out.append("[^/]*")
                    kind = "regex"
            elif ch == "?":
                out.append("[^/]")
                kind = "regex"
            elif ch in ".$" or ch in escaped_meta:
                out.append("\\" + ch)
            elif ch == "\\":
                if i < n:
                    out.append(_escaped(p[i]))
                    i += 1
                    kind = "regex"
                else:
                    # Go appends a lone `\` and then `$`: the anchor becomes a literal `$`
                    out.append("\\$")
                    dangling = True
            elif ch in "[]":
                out.append(ch)  # a character class, handed to the regex engine as written
                kind = "regex"
            else:
                # `+ ( ) | { }` unescaped are regex syntax, though Docker still treats them as
                # literal for its fast paths (only a regex-kind pattern ever runs the expression)
                out.append(ch)
            step += 1
        if not dangling:
            out.append(r"\z")
        if not dialect.fast_paths:
            kind = "regex"
        self._kind = kind
        self._literal = p[:-2] if kind == "prefix" else p[2:] if kind == "suffix" else ""
        self._source = "".join(out) if kind == "regex" else ""
        if kind == "regex" and any(c in p for c in _regex_syntax(dialect)):
            self._regex = GoRegexp(self._source)

    def _index_key(self, dialect: Dialect) -> tuple[str, str]:
        """What a path must contain for this pattern to match it or one of its directories:
        ('exact', text), ('prefix', literal start), ('suffix', literal end) or ('any', '')."""
        kind = self._kind
        if kind == "error":
            return "any", ""  # evaluated for every path, so the error surfaces as in Docker
        if kind == "exact":
            return "exact", self.text
        if kind == "prefix":
            return "prefix", self._literal
        if kind == "suffix":
            return "suffix", self._literal
        syntax = _regex_syntax(dialect)
        start, end = literal_start(self.text, syntax), literal_end(self.text, syntax)
        return ("prefix", start) if len(start) >= len(end) else ("suffix", end)

    def match(self, path: str) -> bool:
        kind = self._kind
        if kind == "exact":
            return path == self.text
        if kind == "prefix":
            return path.startswith(self._literal)
        if kind == "suffix":
            suffix = self._literal
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        if kind == "error":
            raise IgnorePatternError(f"{self.where}: pattern {self.text!r} is rejected by Docker ({self._error})")
        regex = self._regex
        if regex is None:
            try:
                regex = self._regex = GoRegexp(self._source)
            except ValueError as exc:
                self._kind, self._error = "error", str(exc)
                return self.match(path)
        return regex.match(path)

    def __repr__(self) -> str:
        return f"Pattern({'!' if self.exclusion else ''}{self.text!r})"


def _regex_syntax(dialect: Dialect) -> str:
    """Pattern characters that reach the expression as syntax (or may make it invalid)."""
    return "[\\|{}" if dialect.escape_regex_meta else "[\\|{}+()"


MatchInfo = frozenset[int]
"""The indexes of the patterns a directory matched, handed from a directory to its entries."""


class PatternMatcher:
    """Ordered .dockerignore patterns evaluated the way a given Docker dialect evaluates them."""

    def __init__(self, lines: list[tuple[int, str]] | list[str], dialect: Dialect | str = DEFAULT_DIALECT,
                 source: str = ".dockerignore") -> None:
        self.dialect = DIALECTS[dialect] if isinstance(dialect, str) else dialect
        self.source = source
        self.lines: list[tuple[int, str]] = [item if isinstance(item, tuple) else (0, item) for item in lines]
        self.patterns: list[Pattern] = []
        for number, raw in self.lines:
            pattern = self._parse(number, raw)
            if pattern is not None:
                self.patterns.append(pattern)
        self._summarise()

    def _summarise(self) -> None:
        self.exclusions = any(p.exclusion for p in self.patterns)
        self._any_glob_exception = any(
            p.exclusion and any(c in _without_trailing_glob(p.text) for c in "*[]?^\\") for p in self.patterns
        )
        trim = _without_trailing_glob if self.dialect.glob_aware_descent else (lambda text: text)
        self._exception_dirs = sorted(trim(p.text) + "/" for p in self.patterns if p.exclusion)
        self._index = PatternIndex([p.key for p in self.patterns])

    def _parse(self, number: int, raw: str) -> Pattern | None:
        raw = raw.strip(" \t\r\n\v\f")
        if not raw:
            return None
        raw = clean_path(raw)
        where = f"{self.source}:{number}" if number else self.source
        exclusion = raw.startswith("!")
        if exclusion:
            if len(raw) == 1:
                raise IgnorePatternError(f'{where}: illegal exclusion pattern: "!"')
            raw = raw[1:]
        problem = go_pattern_error(raw)
        if problem:
            raise IgnorePatternError(f"{where}: syntax error in pattern {raw!r} ({problem})")
        return Pattern(raw, exclusion, where, self.dialect)

    @classmethod
    def from_text(cls, text: str, dialect: Dialect | str = DEFAULT_DIALECT,
                  source: str = ".dockerignore") -> "PatternMatcher":
        return cls(read_ignore_lines(text), dialect, source)

    def match(self, path: str, parent: MatchInfo | None = None) -> tuple[bool, MatchInfo]:
        """Is `path` (relative, `/`-separated) excluded? `parent` is what its directory returned."""
        if self.dialect.inherit_parent_results:
            return self._match_inherited(path, parent)
        return self._match_single_parent(path), frozenset()

    def _match_inherited(self, path: str, parent: MatchInfo | None) -> tuple[bool, MatchInfo]:
        # Patterns evaluated in order; one that is not a candidate (nor inherited) cannot match,
        # so skipping it changes nothing. A pattern that cannot change the result is not run.
        candidates = self._index.candidates(path, with_ancestors=parent is None)
        if parent:
            candidates.update(parent)
        matched = False
        hits: list[int] = []
        for index in sorted(candidates):
            pattern = self.patterns[index]
            hit = parent is not None and index in parent
            if not hit:
                if pattern.exclusion != matched:
                    continue
                hit = pattern.match(path)
                if not hit and parent is None:
                    hit = _any_parent_matches(pattern, path)
            if hit:
                hits.append(index)
                matched = not pattern.exclusion
        return matched, frozenset(hits)

    def _match_single_parent(self, path: str) -> bool:
        matched = False
        parent_dirs = path.split("/")[:-1]
        for index in sorted(self._index.candidates(path, with_ancestors=True)):
            pattern = self.patterns[index]
            hit = pattern.match(path)
            if not hit and parent_dirs and pattern.depth <= len(parent_dirs):
                hit = pattern.match("/".join(parent_dirs[: pattern.depth]))
            if hit:
                matched = not pattern.exclusion
        return matched

    def excluded(self, path: str) -> bool:
        """Whether the walk would leave `path` out (evaluated through its ancestors, as the walk does)."""
        info: MatchInfo | None = None
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            result, info = self.match("/".join(parts[:depth]), info)
        return result

    def would_send(self, path: str) -> bool:
        """Whether the walk reaches `path` and keeps it (no pruned directory above it)."""
        info: MatchInfo | None = None
        parts = path.split("/")
        excluded = False
        for depth in range(1, len(parts) + 1):
            current = "/".join(parts[:depth])
            excluded, info = self.match(current, info)
            if excluded and depth < len(parts) and not self.walk_into_excluded(current):
                return False
        return not excluded

    def with_pattern(self, pattern: str) -> "PatternMatcher":
        """This matcher with one more pattern appended (as `--fix` would append it); the
        patterns already compiled are shared, not compiled again."""
        extended = copy.copy(self)
        extended.lines = [*self.lines, (0, pattern)]
        added = self._parse(0, pattern)
        extended.patterns = [*self.patterns, added] if added is not None else list(self.patterns)
        extended._summarise()
        return extended

    def walk_into_excluded(self, directory: str) -> bool:
        """Does the walk still descend into an excluded directory (an exception might apply below)?"""
        if not self.exclusions:
            return False
        if self.dialect.glob_aware_descent and self._any_glob_exception:
            return True
        prefix = directory + "/"
        # some exception, as a directory, lies at or below `directory`: a sorted lookup
        at = bisect.bisect_left(self._exception_dirs, prefix)
        return at < len(self._exception_dirs) and self._exception_dirs[at].startswith(prefix)


def _any_parent_matches(pattern: Pattern, path: str) -> bool:
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        if pattern.match("/".join(parts[:depth])):
            return True
    return False


def _without_trailing_glob(text: str) -> str:
    return text.removesuffix("/**").removesuffix("/*")
