"""Go's `regexp` semantics in linear time, through RE2 (the engine Go's package follows).

Docker compiles each `.dockerignore` pattern into a Go regular expression. Python's `re`
backtracks (`**/` repeated then a mismatch takes exponential time) and accepts repetition
counts Go rejects (`a{99999999999}` overflowed). RE2 guarantees time linear in the input and
shares Go's syntax: `\\z`, Perl classes, POSIX classes inside `[...]`, the repeat limit of 1000
and the refusal of look-around and backreferences. The one known divergence, counts of 10^8 or
more (RE2 then reads `{` as a literal, Go reports an invalid repeat size), is checked here.
"""

from __future__ import annotations

import re

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors are raised and reported once, as one line, by the caller
_REPEAT = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}")
_GO_COUNT_DIGITS = 8
"""Go gives up on counts of 10^8 or more (nine digits, no leading zero)."""


class GoRegexpError(ValueError):
    """A pattern Go's regexp.Compile rejects."""


class GoRegexp:
    """One compiled expression; `match` anchors at the start like Go's `MatchString` with `^`."""

    __slots__ = ("_compiled",)

    def __init__(self, source: str) -> None:
        huge = _huge_repeat(source)
        if huge:
            raise GoRegexpError(f"invalid repeat count: {huge}")
        try:
            # a pattern built from an undecodable name compiles as Go would see its bytes
            self._compiled = re2.compile(go_string(source), _OPTIONS)
        except re2.error as exc:
            message = exc.args[0] if exc.args else "invalid pattern"
            raise GoRegexpError(message.decode("utf-8", "replace") if isinstance(message, bytes)
                                else str(message)) from None

    def match(self, text: str) -> bool:
        try:
            return self._compiled.match(text) is not None
        except UnicodeEncodeError:
            return self._compiled.match(go_string(text)) is not None


def go_string(text: str) -> str:
    """A file name as a Go string ranges over it: each undecodable byte (held by Python as a
    lone surrogate) is one U+FFFD, so `?` and `*` count it as one character, as Docker does."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _huge_repeat(source: str) -> str | None:
    """A `{n}` / `{n,m}` repetition outside classes and escapes with a count of 10^8 or more."""
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(source, i)
            continue
        if ch == "{":
            m = _REPEAT.match(source, i)
            # Go, like RE2, reads a count with a leading zero as literal text, not a repeat.
            counts = [c for c in m.groups() if c] if m else []
            if counts and not any(len(c) > 1 and c[0] == "0" for c in counts) \
                    and any(len(c) > _GO_COUNT_DIGITS for c in counts):
                return m.group()  # type: ignore[union-attr]
        i += 1
    return None


def _class_end(source: str, start: int) -> int:
    i = start + 1
    if i < len(source) and source[i] == "^":
        i += 1
    if i < len(source) and source[i] == "]":
        i += 1  # a `]` first in the class is literal
    while i < len(source):
        if source[i] == "\\":
            i += 2
            continue
        if source[i] == "[" and source.startswith("[:", i):
            close = source.find(":]", i + 2)
            if close != -1:
                i = close + 2
                continue
        if source[i] == "]":
            return i + 1
        i += 1
    return i
