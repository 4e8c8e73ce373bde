"""The `.dockerignore` matcher as it was before RE2: the expression run by Python's `re`.

Kept only as the oracle of a differential test (tests/test_dockerignore_linear.py): on patterns
that do not make `re` backtrack, the linear-time matcher must decide every path the same way.
Only the matching is kept (no walk, no descent rules).
"""

from __future__ import annotations

import re
import warnings

from dockopt.dockerfile.dockerignore import DIALECTS, Dialect, IgnorePatternError
from dockopt.dockerfile.gopath import clean_path, go_pattern_error

MatchInfo = tuple[bool, ...]


# Go RE2 escapes that mean the same thing in Python's `re` (with re.ASCII).
_SAME_ESCAPES = set("dDwWsSbBAntrfva")


def _escaped(ch: str) -> str:
    if not ch.isascii():
        raise ValueError(f"invalid escape sequence \\{ch}")
    if ch.isalnum():
        if ch in _SAME_ESCAPES:
            return "\\" + ch
        if ch == "z":
            return r"\Z"
        raise ValueError(f"invalid escape sequence \\{ch}")
    return re.escape(ch)


class Pattern:
    """One cleaned pattern: how Docker's patternmatcher compiles and matches it."""

    __slots__ = ("text", "exclusion", "dirs", "where", "_kind", "_regex", "_literal", "_error")

    def __init__(self, text: str, exclusion: bool, where: str, dialect: Dialect) -> None:
        self.text = text
        self.exclusion = exclusion
        self.dirs = text.split("/")
        self.where = where
        self._error: str | None = None
        try:
            self._compile(dialect)
        except (ValueError, re.error) as exc:
            # Docker compiles lazily: the build fails only if the pattern is ever evaluated.
            self._kind, self._error = "error", str(exc)

    def _compile(self, dialect: Dialect) -> None:
        # The regular expression is built as Docker builds it; `kind` tracks patternmatcher's
        # fast paths, which newer dialects use instead of the expression when they apply.
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
            elif ch in "+()|{}":
                out.append(ch)  # unescaped: regex syntax, though Docker still treats it as literal
                # for its fast paths (only a regex-kind pattern ever runs the expression)
            else:
                out.append(ch)  # literal in both Go RE2 and Python re
            step += 1
        if not dangling:
            out.append(r"\Z")
        if not dialect.fast_paths:
            kind = "regex"
        self._kind = kind
        self._literal = p[:-2] if kind == "prefix" else p[2:] if kind == "suffix" else ""
        self._regex = None
        if kind == "regex":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._regex = re.compile("".join(out), re.ASCII)

    def match(self, path: str) -> bool:
        kind = self._kind
        if kind == "error":
            raise IgnorePatternError(f"{self.where}: pattern {self.text!r} is rejected by Docker ({self._error})")
        if kind == "exact":
            return path == self.text
        if kind == "prefix":
            return path.startswith(self._literal)
        if kind == "suffix":
            suffix = self._literal
            if path.endswith(suffix):
                return True
            return suffix.startswith("/") and path == suffix[1:]
        assert self._regex is not None
        return self._regex.match(path) is not None

    def __repr__(self) -> str:
        return f"Pattern({'!' if self.exclusion else ''}{self.text!r})"



class ReferenceMatcher:
    """Ordered .dockerignore patterns evaluated the way a given Docker dialect evaluates them."""

    def __init__(self, lines: list[tuple[int, str]] | list[str], dialect: Dialect | str = "buildkit",
                 source: str = ".dockerignore") -> None:
        self.dialect = DIALECTS[dialect] if isinstance(dialect, str) else dialect
        self.source = source
        self.lines: list[tuple[int, str]] = [item if isinstance(item, tuple) else (0, item) for item in lines]
        self.patterns: list[Pattern] = []
        for number, raw in self.lines:
            raw = raw.strip(" \t\r\n\v\f")
            if not raw:
                continue
            raw = clean_path(raw)
            where = f"{source}:{number}" if number else source
            exclusion = raw.startswith("!")
            if exclusion:
                if len(raw) == 1:
                    raise IgnorePatternError(f'{where}: illegal exclusion pattern: "!"')
                raw = raw[1:]
            problem = go_pattern_error(raw)
            if problem:
                raise IgnorePatternError(f"{where}: syntax error in pattern {raw!r} ({problem})")
            self.patterns.append(Pattern(raw, exclusion, where, self.dialect))

    def match(self, path: str, parent: MatchInfo | None = None) -> tuple[bool, MatchInfo]:
        """Is `path` (relative, `/`-separated) excluded? `parent` is what its directory returned."""
        if self.dialect.inherit_parent_results:
            return self._match_inherited(path, parent)
        return self._match_single_parent(path), ()

    def _match_inherited(self, path: str, parent: MatchInfo | None) -> tuple[bool, MatchInfo]:
        matched = False
        info: list[bool] = []
        for index, pattern in enumerate(self.patterns):
            hit = bool(parent) and parent[index]  # type: ignore[index]
            if not hit:
                if pattern.exclusion != matched:
                    info.append(False)
                    continue
                hit = pattern.match(path)
                if not hit and not parent:
                    hit = _any_parent_matches(pattern, path)
            info.append(hit)
            if hit:
                matched = not pattern.exclusion
        return matched, tuple(info)

    def _match_single_parent(self, path: str) -> bool:
        matched = False
        parent_dirs = path.split("/")[:-1]
        for pattern in self.patterns:  # all of them, as pkg/fileutils did (errors surface at once)
            hit = pattern.match(path)
            if not hit and parent_dirs and len(pattern.dirs) <= len(parent_dirs):
                hit = pattern.match("/".join(parent_dirs[: len(pattern.dirs)]))
            if hit:
                matched = not pattern.exclusion
        return matched


def _any_parent_matches(pattern: Pattern, path: str) -> bool:
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        if pattern.match("/".join(parts[:depth])):
            return True
    return False
