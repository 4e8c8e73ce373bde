"""Packagist (Composer) versions: normalised as Composer's `VersionParser::normalize`, then
ordered as PHP's `version_compare` orders the normal forms (what `Composer\\Semver\\Comparator`
does), following composer/semver 3.x.

Normalisation: trim; drop a trailing `@stability` flag and `+build` metadata; an optional `v`;
one to four numbers (the first of at most five digits) padded to four (`v1.2` -> `1.2.0.0`),
or a date-like version (`20230101`, `2023-01-01.1`); then an optional stability
`stable|beta|b|RC|alpha|a|patch|pl|p` with optional numbers (`-beta.2`, `RC1`, `p3`) and an
optional `-dev`. A branch alias such as `1.x-dev` becomes `1.9999999.9999999.9999999-dev`.
Named branches (`dev-main`, `master`) never order against versions in Composer; they are
refused here, as are aliases (`1.0 as 2.0`, constraint syntax rather than a version).

`version_compare` splits the normal form at `.`, `-` and digit/letter switches and compares
piece by piece: numbers numerically (as C `long`s, saturating), `dev < alpha = a < beta = b <
RC = rc < (a number) < pl = p` by prefix match (`patch` counts as `p`), anything else below
`dev`. When one version runs out, the other is newer if it goes on with a number or a `p`
form, older otherwise: `1.0.0.0-beta < 1.0.0.0 < 1.0.0.0-patch1`, `1.0.0.0-RC1-dev < 1.0.0.0-RC1`.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion, bounded

_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?"
_CLASSICAL = re.compile(r"v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?" + _MODIFIER, re.IGNORECASE | re.ASCII)
_DATE = re.compile(r"v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})" + _MODIFIER, re.IGNORECASE | re.ASCII)
_FLAG = re.compile(r"@(?:stable|RC|beta|alpha|dev)$", re.IGNORECASE | re.ASCII)
_BUILD = re.compile(r"([^,\s+]++)\+[^\s]++", re.ASCII)
_DEV_BRANCH = re.compile(r"(.*?)[.-]?dev", re.IGNORECASE | re.DOTALL)
_NUMERIC_BRANCH = re.compile(r"v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?", re.ASCII)
_STABILITY_NAMES = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}
_PHP_SPACE = " \t\n\r\0\x0b"  # what PHP's trim() strips

# version_compare's special forms, matched as prefixes in this order; a number ranks as "#".
_FORMS = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4),
          ("pl", 5), ("p", 5))
_NUMBER_RANK = 4
_UNKNOWN_RANK = -1
_LONG_MAX = 2**63 - 1
# What a version that has run out is compared as: ranks below "#" lose to it, the rest win.
_END = (_NUMBER_RANK, -1)


def normalize(text: str) -> str:
    """Composer's normal form of `text`; raises InvalidVersion where Composer would throw or
    where the result is a named branch."""
    version = text.strip(_PHP_SPACE)
    flag = _FLAG.search(version)
    if flag:
        version = version[: flag.start()]
    if version in ("master", "trunk", "default") or version[:4].lower() == "dev-":
        raise InvalidVersion(f"a Composer branch, not a version: {text[:80]!r}")
    build = _BUILD.fullmatch(version)
    if build:
        version = build.group(1)
    match = _CLASSICAL.fullmatch(version)
    if match:
        major, minor, patch, fourth = match.group(1, 2, 3, 4)
        normal = major + (minor or ".0") + (patch or ".0") + (fourth or ".0")
        index = 5
    else:
        match = _DATE.fullmatch(version)
        if match:
            normal = re.sub(r"\D", ".", match.group(1))
            index = 2
    if match:
        stability, number, dev = match.group(index, index + 1, index + 2)
        if stability:
            if stability == "stable":
                return normal
            normal += "-" + _STABILITY_NAMES.get(stability.lower(), stability.lower()) + (number or "").lstrip(".-")
        if dev:
            normal += "-dev"
        return normal
    branch = _DEV_BRANCH.fullmatch(version)
    if branch:
        numeric = _NUMERIC_BRANCH.fullmatch(branch.group(1).strip(_PHP_SPACE))
        if numeric:
            parts = [(numeric.group(i) or ".x") for i in range(1, 5)]
            return "".join(parts).replace("*", "x").replace("X", "x").replace("x", "9999999") + "-dev"
    raise InvalidVersion(f"not a Composer version: {text[:80]!r}")


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def canonical_pieces(text: str) -> list[str]:
    """version_compare's canonical form, split at its dots: `-`, `_`, `+` and any other
    non-alphanumeric character become a dot, and a dot goes between digits and non-digits."""
    pieces: list[str] = []
    current = text[:1]  # the first character is kept as it is
    previous = text[:1]
    for ch in text[1:]:
        if ch in "-_+" or not (ch.isascii() and ch.isalnum()) and ch != ".":
            separator, keep = True, False
        elif ch == ".":
            separator, keep = True, False
        elif (_is_digit(previous) and previous != ".") != _is_digit(ch) and previous != ".":
            separator, keep = True, True
        else:
            separator, keep = False, True
        if separator and current:
            pieces.append(current)
            current = ""
        if keep:
            current += ch
        previous = ch
    if current:
        pieces.append(current)
    return pieces


def _rank(piece: str) -> tuple[int, int]:
    if _is_digit(piece[0]):
        digits = piece.lstrip("0") or "0"
        # strtol saturates at LONG_MAX; beyond 19 digits every number is LONG_MAX.
        return (_NUMBER_RANK, _LONG_MAX if len(digits) > 19 else min(int(digits), _LONG_MAX))
    for name, rank in _FORMS:
        if piece.startswith(name):
            return (rank, 0)
    return (_UNKNOWN_RANK, 0)


@bounded
def key(text: str) -> tuple:
    return tuple(_rank(piece) for piece in canonical_pieces(normalize(text))) + (_END,)
