"""Alpine (apk) versions, ordered exactly as apk-tools 2.14 (`src/version.c`, tag v2.14.10) does.

Alpine releases up to 3.22 ship apk-tools 2.x, and their package versions follow its grammar
`number{.number}...{letter{number}}{_suffix{number}}...{-rN}`:
- the first number is read as a plain integer (`006` = 6); a later `.number` with leading zeros
  counts each zero but the last as a step below zero (`1.01 < 1.1`, `1.001 < 1.01`, `1.00 < 1.0`);
- a lowercase letter may follow a number and may itself be followed by digits
  (`6.6.1p1-r2 < 6.6.1p1-r3`, openssh's scheme), after which `.number`s may continue;
- suffixes `_alpha < _beta < _pre < _rc` are pre-releases (older than no suffix), `_cvs < _svn
  < _git < _hg < _p` post-releases; each may carry a number (`_rc2`, `_p20230101`) and repeat;
- `-rN` is the package revision;
- a number of 18 or more digits, an unknown suffix or a token out of that order makes the rest of
  the version invalid, and apk still orders such versions by their valid prefix: two versions
  equal up to their invalid tails are equal, and an invalid tail is newer than whatever else (or
  nothing) stands at that position. apk-tools 2.x has no `~commit-hash` component (apk-tools 3
  added one), so `1.0~ab12-r1` reads as `1.0` plus an invalid tail: newer than `1.0-r5` and
  `1.0.1`, older than `1.1`, equal to `1.0~cd34-r2`. We follow 2.x here too, because that is how
  the Alpine releases whose advisories we match order their versions.

Comparison walks both token streams while the token kinds and values agree. A differing value
decides. Otherwise, when one version runs out or switches to another kind first, a pre-release
suffix there makes it older; failing that, the version whose next token kind comes later in the
grammar (the end counting as latest) is older: 1.0 < 1.0.1, 1.0a < 1.0.1, 1.0 < 1.0-r1.
"""

from __future__ import annotations

from dockopt.vuln.versions import CmpKey, InvalidVersion, bounded

# Token kinds in grammar order; `_kind < previous kind` is a syntax error except where noted.
INVALID, DIGIT_OR_ZERO, DIGIT, LETTER, SUFFIX, SUFFIX_NO, REVISION_NO, END = -1, 0, 1, 2, 3, 4, 5, 6

PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")  # values -4 .. -1
POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")  # values 0 .. 4
# apk reads numbers into an int64 and refuses components of 18 digits or more.
MAX_DIGITS = 17
# Going back to an earlier kind is allowed only for these (new kind, previous kind) pairs:
# `.N` after a number, `_suffix` after a suffix number, digits after a letter.
_BACKWARD_OK = {(DIGIT_OR_ZERO, DIGIT), (SUFFIX, SUFFIX_NO), (DIGIT, LETTER)}

Token = tuple[int, int]  # (value, kind of the token that follows)


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _next_kind(kind: int, text: str, pos: int) -> tuple[int, int]:
    """The kind of the token at `pos` after a token of `kind`, and where its value starts."""
    if pos >= len(text) or text[pos] == "\0":
        return END, pos
    ch = text[pos]
    if kind in (DIGIT, DIGIT_OR_ZERO) and "a" <= ch <= "z":
        new = LETTER
    elif kind == LETTER and _is_digit(ch):
        new = DIGIT
    elif kind == SUFFIX and _is_digit(ch):
        new = SUFFIX_NO
    else:
        # A separator: consumed here, the value follows it.
        if ch == ".":
            new = DIGIT_OR_ZERO
        elif ch == "_":
            new = SUFFIX
        elif ch == "-" and text.startswith("-r", pos):
            new, pos = REVISION_NO, pos + 1
        else:
            new = INVALID
        pos += 1
    if new < kind and (new, kind) not in _BACKWARD_OK:
        new = INVALID
    return new, pos


def _digits_end(text: str, pos: int) -> int:
    end = pos
    while end < len(text) and _is_digit(text[end]):
        end += 1
    return end


def tokenize(text: str) -> tuple[Token, ...]:
    """apk's token stream: (value, next kind) per token; the last next kind is END or INVALID."""
    tokens: list[Token] = []
    kind, pos = DIGIT, 0  # apk starts reading a plain number, so leading zeros do not count
    n = len(text)
    while kind not in (END, INVALID):
        if pos >= n:
            tokens.append((0, END))
            break
        following = INVALID  # a kind forced by the token itself, else read from what follows
        if kind == DIGIT_OR_ZERO and text[pos] == "0":
            # Each zero before the last one of a run steps below zero; the last zero (or the
            # digits after the run) are then read as a plain number.
            run = pos
            while run + 1 < n and text[run + 1] == "0":
                run += 1
            value, pos, following = -(run - pos), run, DIGIT
        elif kind in (DIGIT, DIGIT_OR_ZERO, SUFFIX_NO, REVISION_NO):
            end = _digits_end(text, pos)
            if end - pos > MAX_DIGITS:
                tokens.append((-1, INVALID))
                break
            value, pos = (int(text[pos:end]) if end > pos else 0), end
        elif kind == LETTER:
            value, pos = ord(text[pos]), pos + 1
        else:  # SUFFIX: apk matches the known names as prefixes, pre-release names first
            name = next((s for s in PRE_SUFFIXES + POST_SUFFIXES if text.startswith(s, pos)), None)
            if name is None:
                tokens.append((-1, INVALID))
                break
            value = (PRE_SUFFIXES + POST_SUFFIXES).index(name) - len(PRE_SUFFIXES)
            pos += len(name)
        if pos >= n:
            kind = END
        elif following != INVALID:
            kind = following
        else:
            kind, pos = _next_kind(kind, text, pos)
        tokens.append((value, kind))
    return tuple(tokens)


def compare_tokens(ta: tuple[Token, ...], tb: tuple[Token, ...]) -> int:
    kind_a = kind_b = DIGIT
    value_a = value_b = 0
    index = 0
    while kind_a == kind_b and kind_a not in (END, INVALID) and value_a == value_b:
        value_a, kind_a = ta[index]
        value_b, kind_b = tb[index]
        index += 1
    if value_a != value_b:
        return -1 if value_a < value_b else 1
    if kind_a == kind_b:
        return 0
    # One stream goes on where the other stops or changes kind: a pre-release suffix (or an
    # unknown one, which apk reads as -1) there makes it the older one.
    if kind_a == SUFFIX and ta[index][0] < 0:
        return -1
    if kind_b == SUFFIX and tb[index][0] < 0:
        return 1
    if kind_a > kind_b:
        return -1
    return 1


def compare_text(a: str, b: str) -> int:
    return compare_tokens(tokenize(a), tokenize(b))


def is_valid(text: str) -> bool:
    """apk's own validity test: the whole text follows the grammar."""
    return tokenize(text)[-1][1] == END


@bounded
def key(text: str) -> CmpKey:
    text = text.strip()
    # apk orders partly invalid versions by their valid prefix; text that does not even begin
    # with a number is not a version.
    if not text or not _is_digit(text[0]):
        raise InvalidVersion(f"not an Alpine version: {text[:80]!r}")
    return CmpKey(tokenize(text), compare_tokens)
