"""Pub (Dart) versions, ordered as `pub_semver`'s `Version.compareTo` does.

`MAJOR.MINOR.PATCH[-pre][+build]`, all three numbers required (leading zeros allowed: Dart's
`int.parse` reads `01` as 1; a number beyond a 64-bit int is refused). Unlike SemVer 2.0, build
metadata takes part in the order: a version with a build is *newer* than the same version
without one, and builds compare like pre-releases. Identifier lists compare element by element:
an identifier Dart's `int.tryParse` reads as a number (`7`, `007`, `-1`, hex `0x1f`, within 64
bits) is a number and sorts before strings; strings compare by UTF-16 code units (bytes here,
the grammar being ASCII); a missing element sorts first.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion, bounded

_IDENTIFIERS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_VERSION = re.compile(rf"([0-9]+)\.([0-9]+)\.([0-9]+)(?:-({_IDENTIFIERS}))?(?:\+({_IDENTIFIERS}))?", re.ASCII)
_DART_INT = re.compile(r"([+-]?)(?:0[xX]([0-9A-Fa-f]+)|([0-9]+))", re.ASCII)
_INT64_MAX = 2**63 - 1
_NO_PRE_RELEASE = (1,)


def _dart_int(text: str) -> int | None:
    """What Dart's `int.tryParse` makes of an identifier (None: not a 64-bit integer)."""
    match = _DART_INT.fullmatch(text)
    if not match:
        return None
    sign, hex_digits, digits = match.groups()
    # Leading zeros carry no value; without them a 64-bit value has at most 19 decimal or
    # 16 hex digits, so nothing longer is ever converted.
    body = (hex_digits or digits).lstrip("0") or "0"
    if len(body) > (16 if hex_digits else 19):
        return None
    value = int(body, 16 if hex_digits else 10)
    value = -value if sign == "-" else value
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        return None
    return value


def _parts(text: str | None) -> tuple:
    if text is None:
        return ()
    items = []
    for part in text.split("."):
        number = _dart_int(part)
        items.append((0, number, "") if number is not None else (1, 0, part))
    return tuple(items)


def _number(text: str, whole: str) -> int:
    body = text.lstrip("0") or "0"
    if len(body) > 19 or int(body) > _INT64_MAX:
        raise InvalidVersion(f"version number beyond 64 bits in {whole[:80]!r}")
    return int(body)


@bounded
def key(text: str) -> tuple:
    match = _VERSION.fullmatch(text.strip())
    if not match:
        raise InvalidVersion(f"not a Pub version: {text[:80]!r}")
    major, minor, patch, pre, build = match.groups()
    pre_key = (0, _parts(pre)) if pre is not None else _NO_PRE_RELEASE
    # No build sorts before any build: an empty tuple is below every non-empty one.
    return (_number(major, text), _number(minor, text), _number(patch, text), pre_key, _parts(build))
