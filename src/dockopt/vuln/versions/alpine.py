"""Alpine (apk-tools) versions: `1.2.3a_rc1_p2~1a2b-r4`, compared like apk-tools 2.12+ / 3.

A version is a sequence of typed tokens, and token types must appear in this order:
initial number, `.number`s, one letter, `_suffix[number]`s, `~commit-hash`, `-rN` revision.
Two versions compare token by token while both have a token of the same type:
numbers numerically (but as strings when either has a leading zero, so 1.01 < 1.1 and
1.001 < 1.01), letters and suffixes by rank, commit hashes as strings.
When one version runs out or switches to another token type first, the token type decides:
a pre-release suffix (`_alpha`, `_beta`, `_pre`, `_rc`) makes it older; otherwise the version
that moved on to a later type in the order above is older (1.0 < 1.0.1 but 1.0a < 1.0.1 … and
1.0-r1 > 1.0).
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import CmpKey, InvalidVersion

INITIAL_DIGIT, DIGIT, LETTER, SUFFIX, SUFFIX_NO, COMMIT_HASH, REVISION_NO, END, INVALID = range(9)

# Suffix ranks: pre-release suffixes below NONE (a plain release), post-release ones above.
SUFFIX_RANKS = {"alpha": 1, "beta": 2, "pre": 3, "rc": 4, "cvs": 6, "svn": 7, "git": 8, "hg": 9, "p": 10}
SUFFIX_NONE = 5

_DIGITS = re.compile(r"[0-9]*")
_LETTERS = re.compile(r"[a-z]*")
_HEX = re.compile(r"[0-9a-f]*")

Token = tuple  # (type, number, text)


def tokenize(text: str) -> list[Token]:
    """Tokens of `text`; the last one is END, or INVALID where the text stops being a version."""
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    digits = _DIGITS.match(text, pos).group()
    if not digits:
        return [(INVALID, 0, "")]
    tokens.append((INITIAL_DIGIT, int(digits), digits))
    pos += len(digits)
    last = INITIAL_DIGIT
    while True:
        if pos >= n:
            tokens.append((END, 0, ""))
            return tokens
        ch = text[pos]
        new: Token | None = None
        if "a" <= ch <= "z" and last <= DIGIT:
            new = (LETTER, ord(ch), ch)
            pos += 1
        elif (ch == "." and last <= DIGIT) or (ch.isdigit() and last in (INITIAL_DIGIT, DIGIT, SUFFIX)):
            if ch == ".":
                pos += 1
            digits = _DIGITS.match(text, pos).group()
            if digits:
                new = (SUFFIX_NO if last == SUFFIX else DIGIT, int(digits), digits)
                pos += len(digits)
        elif ch == "_" and last <= SUFFIX_NO:
            name = _LETTERS.match(text, pos + 1).group()
            if name in SUFFIX_RANKS:
                new = (SUFFIX, SUFFIX_RANKS[name], name)
                pos += 1 + len(name)
        elif ch == "~" and last < COMMIT_HASH:
            value = _HEX.match(text, pos + 1).group()
            if value:
                new = (COMMIT_HASH, 0, value)
                pos += 1 + len(value)
        elif ch == "-" and last < REVISION_NO and text.startswith("-r", pos):
            digits = _DIGITS.match(text, pos + 2).group()
            if digits:
                new = (REVISION_NO, int(digits), digits)
                pos += 2 + len(digits)
        if new is None:
            tokens.append((INVALID, 0, ""))
            return tokens
        tokens.append(new)
        last = new[0]


def _token_cmp(a: Token, b: Token) -> int:
    kind = a[0]
    if kind == DIGIT and (a[2].startswith("0") or b[2].startswith("0")):
        x, y = a[2], b[2]  # leading zeros: string order, as Gentoo does
    elif kind == COMMIT_HASH:
        x, y = a[2], b[2]
    else:
        x, y = a[1], b[1]
    return (x > y) - (x < y)


def compare_tokens(ta: list[Token], tb: list[Token]) -> int:
    index = 0
    while True:
        a, b = ta[index], tb[index]
        if a[0] != b[0] or a[0] >= END:
            break
        result = _token_cmp(a, b)
        if result:
            return result
        index += 1
    if a[0] == b[0]:
        return 0
    if a[0] == SUFFIX and a[1] < SUFFIX_NONE:
        return -1
    if b[0] == SUFFIX and b[1] < SUFFIX_NONE:
        return 1
    return -1 if a[0] > b[0] else 1


def compare_text(a: str, b: str) -> int:
    return compare_tokens(tokenize(a), tokenize(b))


def is_valid(text: str) -> bool:
    return tokenize(text)[-1][0] == END


def key(text: str) -> CmpKey:
    tokens = tokenize(text.strip())
    # apk still orders partly invalid versions by their valid prefix; only reject non-versions.
    if tokens[0][0] == INVALID:
        raise InvalidVersion(f"not an Alpine version: {text!r}")
    return CmpKey(tokens, compare_tokens)
