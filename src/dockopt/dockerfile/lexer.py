"""BuildKit's word-level lexing rules, re-implemented: flags, words, JSON form, shell words.

Each function follows the behaviour of the corresponding function of BuildKit's
`frontend/dockerfile/parser` and `shell` packages, because agreeing with the real builder on
what an instruction means matters more than being tidy. Offsets returned are relative to the
string passed in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from dockopt.safeload import MAX_DEPTH, json_nesting

# Go's unicode.IsSpace for the characters that matter (Python's str.isspace also accepts
# \x1c-\x1f, which Go does not).
GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
                     + "".join(chr(c) for c in range(0x2000, 0x200B)))
# The separator BuildKit uses between a keyword and its arguments, and in whitespace-split lists.
SEP = frozenset("\t\v\f\r ")
_NAME_CHARS = re.compile(r"[A-Za-z0-9_]")


def go_lstrip(s: str) -> str:
    i = 0
    while i < len(s) and s[i] in GO_SPACE:
        i += 1
    return s[i:]


def go_strip_bounds(s: str, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """Bounds of `s[start:end]` with Go-whitespace trimmed on both sides."""
    end = len(s) if end is None else end
    while start < end and s[start] in GO_SPACE:
        start += 1
    while end > start and s[end - 1] in GO_SPACE:
        end -= 1
    return start, end


@dataclass(slots=True)
class RawFlag:
    value: str
    """The flag word after quote processing, e.g. `--mount=type=cache,target=/x`."""
    start: int
    end: int


def extract_flags(line: str) -> tuple[int, list[RawFlag]]:
    """BuildKit's extractBuilderFlags: leading `--words`; returns (offset of the rest, flags)."""
    if line.isascii():
        return _extract_flags(line)
    # BuildKit walks this line byte by byte, each byte taken as a character (so a non-ASCII flag
    # value comes out as its UTF-8 bytes read as Latin-1). Do the same, then map offsets back.
    raw = line.encode("utf-8", "surrogatepass")
    consumed, flags = _extract_flags(raw.decode("latin-1"))

    def char_offset(byte_offset: int) -> int:
        return len(raw[:byte_offset].decode("utf-8", "ignore"))

    return char_offset(consumed), [RawFlag(f.value, char_offset(f.start), char_offset(f.end)) for f in flags]


def _extract_flags(line: str) -> tuple[int, list[RawFlag]]:
    flags: list[RawFlag] = []
    word, word_start, blank_ok = "", 0, False
    phase = "spaces"
    quote = ""
    pos, n = 0, len(line)
    while pos <= n:
        ch = line[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if ch in GO_SPACE:
                pos += 1
                continue
            if ch != "-" or pos + 1 == n or line[pos + 1] != "-":
                return pos, flags
            phase, word_start = "word", pos
        if pos == n:
            if word != "--" and (blank_ok or word):
                flags.append(RawFlag(word, word_start, pos))
            break
        if phase == "word":
            if ch in GO_SPACE:
                phase = "spaces"
                if word == "--":
                    return pos, flags
                if blank_ok or word:
                    flags.append(RawFlag(word, word_start, pos))
                word, blank_ok = "", False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word += ch
            pos += 1
            continue
        # inside quotes
        if ch == quote:
            phase = "word"
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word += ch
        pos += 1
    return n, flags


def parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's parseWords (used by ENV, LABEL, ARG): quotes and escapes are kept."""
    words: list[str] = []
    phase, word, quote, blank_ok = "spaces", "", "", False
    pos, n = 0, len(rest)
    while pos <= n:
        ch = rest[pos] if pos < n else ""
        if phase == "spaces":
            if pos == n:
                break
            if ch in GO_SPACE:
                pos += 1
                continue
            phase = "word"
        if pos == n:
            if blank_ok or word:
                words.append(word)
            break
        if phase == "word":
            if ch in GO_SPACE:
                phase = "spaces"
                if blank_ok or word:
                    words.append(word)
                word, blank_ok = "", False
                pos += 1
                continue
            if ch in "'\"":
                quote, blank_ok, phase = ch, True, "quote"
            if ch == escape:
                if pos + 1 == n:
                    pos += 1
                    continue
                word += ch
                pos += 1
                ch = rest[pos]
            word += ch
            pos += 1
            continue
        if ch == quote:
            phase = "word"
        if ch == escape and quote != "'":
            if pos + 1 == n:
                phase = "word"
                pos += 1
                continue
            pos += 1
            word += ch
            ch = rest[pos]
        word += ch
        pos += 1
    return words


class NotStringArray(ValueError):
    pass


def parse_json_array(rest: str) -> list[str] | None:
    """BuildKit's parseJSON: a JSON array of strings at the start (trailing text is ignored, as
    Go's json.Decoder does). None when it is not JSON; NotStringArray for e.g. `[1]`."""
    text = go_lstrip(rest)
    if not text.startswith("["):
        return None
    depth, end = json_nesting(text)
    if end is None:
        return None  # never closes: not JSON, as for Go's decoder at end of input
    if depth > MAX_DEPTH:  # nested arrays are not strings; refused before the recursive decoder
        raise NotStringArray("when using JSON array syntax, arrays must be comprised of strings only")
    try:
        value, _ = json.JSONDecoder().raw_decode(text[:end])
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise NotStringArray("when using JSON array syntax, arrays must be comprised of strings only")
    return value


def split_whitespace(rest: str) -> list[str]:
    """Go's `[\\t\\v\\f\\r ]+` split of a trimmed string (parseStringsWhitespaceDelimited)."""
    if not rest:
        return []
    return [w for w in re.split(r"[\t\v\f\r ]+", rest)]


# ----------------------------------------------------------------- shell word processing

@dataclass(slots=True)
class ShellWord:
    value: str
    start: int
    end: int


def shell_words(text: str, env: dict[str, str] | None = None, raw_quotes: bool = False,
                raw_escapes: bool = False, skip_unset: bool = False,
                escape: str = "\\") -> list[ShellWord]:
    """BuildKit's shell.Lex.ProcessWords: split on whitespace, handle quotes, escapes and `$VAR`."""
    lex = _Lex(text, env or {}, raw_quotes, raw_escapes, skip_unset, escape)
    return lex.words()


def shell_words_strict(text: str, raw_quotes: bool = False, raw_escapes: bool = False,
                       skip_unset: bool = False) -> list[ShellWord] | None:
    """Like `shell_words`, but None where BuildKit's lexer reports an error (an unterminated quote,
    `${` without `}`, an unsupported `${a#b}`-style modifier)."""
    lex = _Lex(text, {}, raw_quotes, raw_escapes, skip_unset, "\\")
    words = lex.words()
    return None if lex.error else words


def expand(text: str, env: dict[str, str] | None = None, skip_unset: bool = False,
           escape: str = "\\", _depth: int = 0) -> str:
    """BuildKit's shell.Lex.ProcessWord: one word with quotes removed and variables expanded."""
    if _depth > 32:  # absurdly nested ${a:-${b:-…}}: keep the text rather than recurse forever
        return text
    lex = _Lex(text, env or {}, False, False, skip_unset, escape)
    lex.depth = _depth
    return lex.single()


def _matching_brace(s: str, i: int) -> int:
    """`s[i]` is `{`: the index of its `}` (nested `${…}` allowed), or -1. Quotes inside are
    processed as BuildKit's processStopOn does: a `}` inside them does not close, and an
    unterminated quote is an error (-1)."""
    depth = 0
    while i < len(s):
        if s[i] in "'\"" and depth:
            close = s.find("'", i + 1) if s[i] == "'" else _closing_double_quote(s, i + 1)
            if close < 0:
                return -1
            i = close + 1
            continue
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        elif s[i] == "\\":
            i += 1
        i += 1
    return -1


def _closing_double_quote(s: str, i: int) -> int:
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s[i] == '"':
            return i
        i += 1
    return -1


class _Lex:
    def __init__(self, text: str, env: dict[str, str], raw_quotes: bool, raw_escapes: bool,
                 skip_unset: bool, escape: str) -> None:
        self.s, self.i = text, 0
        self.env, self.raw_quotes, self.raw_escapes = env, raw_quotes, raw_escapes
        self.skip_unset, self.esc = skip_unset, escape
        self.depth = 0
        self.error = False

    def _peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def _next(self) -> str:
        ch = self._peek()
        self.i += 1
        return ch

    def single(self) -> str:
        out = []
        while self.i < len(self.s):
            out.append(self._part(split=False))
        return "".join(out)

    def words(self) -> list[ShellWord]:
        out: list[ShellWord] = []
        n = len(self.s)
        while self.i < n:
            while self.i < n and self.s[self.i] in GO_SPACE:
                self.i += 1
            if self.i >= n:
                break
            start = self.i
            parts = []
            while self.i < n and self.s[self.i] not in GO_SPACE:
                parts.append(self._part(split=True))
            out.append(ShellWord("".join(parts), start, self.i))
        return out

    def _part(self, split: bool) -> str:
        ch = self._next()
        if ch == "'":
            return self._single_quote()
        if ch == '"':
            return self._double_quote()
        if ch == "$":
            return self._dollar()
        if ch == "<" and self._peek() == "<":
            return self._heredoc_operator()
        if ch == self.esc:
            if self.i >= len(self.s):
                return ""
            nxt = self._next()
            return ch + nxt if self.raw_escapes else nxt
        return ch

    def _heredoc_operator(self) -> str:
        """`<<` and the blanks after it stay in one word, so `<<  EOF` is the heredoc word
        `<<  EOF` (BuildKit's processPossibleHeredoc, dockerfile frontend 1.16+: tab, CR, space)."""
        start = self.i - 1
        self.i += 1
        while self.i < len(self.s) and self.s[self.i] in "\t\r ":
            self.i += 1
        return self.s[start:self.i]

    def _single_quote(self) -> str:
        end = self.s.find("'", self.i)
        if end < 0:
            self.error = True
            end = len(self.s)
            body, self.i = self.s[self.i:], end
        else:
            body, self.i = self.s[self.i:end], end + 1
        return f"'{body}'" if self.raw_quotes else body

    def _double_quote(self) -> str:
        out = []
        closed = False
        while self.i < len(self.s):
            ch = self._next()
            if ch == '"':
                closed = True
                break
            if ch == "$":
                out.append(self._dollar())
            elif ch == self.esc and self.i < len(self.s):
                nxt = self._next()
                if nxt in ('"', "$", self.esc) and not self.raw_escapes:
                    out.append(nxt)
                else:
                    out.append(ch + nxt)
            else:
                out.append(ch)
        if not closed:
            self.error = True
        body = "".join(out)
        return f'"{body}"' if self.raw_quotes else body

    def _dollar(self) -> str:
        ch = self._peek()
        if ch == "{":
            close = _matching_brace(self.s, self.i)
            if close < 0:
                self.error = True  # `${` without `}`
                rest = self.s[self.i:]
                self.i = len(self.s)
                return "$" + rest
            inner = self.s[self.i + 1:close]
            self.i = close + 1
            return self._braced(inner)
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]", self.s[self.i:])
        if not m:
            return "$"
        name = m.group(0)
        self.i += len(name)
        if name in self.env:
            return self.env[name]
        return "$" + name if self.skip_unset else ""

    def _braced(self, inner: str) -> str:
        m = re.match(r"([A-Za-z0-9_]+)(:?[-+?])?(.*)$", inner, re.S)
        if not m:
            self.error = True  # `${}`, `${"a"}`…
            return "${" + inner + "}"
        name, op, word = m.group(1), m.group(2), m.group(3)
        value = self.env.get(name)
        if op is None:
            if word:  # ${a#x}, ${a%x}, ${a/x/y}: BuildKit (v0.12) refuses these modifiers
                if not word.startswith(":"):
                    self.error = True
                return value or ""
            if value is None:
                return "${" + name + "}" if self.skip_unset else ""
            return value
        if self.depth > 32:
            return word
        nested = _Lex(word, self.env, False, False, self.skip_unset, self.esc)
        nested.depth = self.depth + 1
        word_value = nested.single()
        self.error = self.error or nested.error
        empty_counts = op.startswith(":")
        is_set = value is not None and (value != "" or not empty_counts)
        kind = op[-1]
        if kind == "-":
            return value if is_set else word_value  # type: ignore[return-value]
        if kind == "+":
            return word_value if is_set else ""
        return value or ""
