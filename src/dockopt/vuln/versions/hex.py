"""Hex (Elixir, Erlang) versions, ordered as Elixir's `Version.compare/2` does: strict SemVer 2.0.

`MAJOR.MINOR.PATCH[-pre][+build]`, all three numbers required and without leading zeros;
pre-release identifiers are `[0-9A-Za-z-]+`, and a numeric one may not have leading zeros either
(Elixir refuses `1.0.0-01`). A release is newer than its pre-releases; pre-release lists compare
element by element, numbers numerically and before strings (Erlang term order), strings by
bytes, a shorter list first when it is a prefix. Build metadata is checked but ignored.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion, bounded

_NUMBER = r"(0|[1-9][0-9]*)"
_IDENTIFIERS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_VERSION = re.compile(rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-({_IDENTIFIERS}))?(?:\+{_IDENTIFIERS})?", re.ASCII)
# Python refuses to convert numbers over 4,300 digits; no real version is anywhere near that.
MAX_DIGITS = 1000
_RELEASE = (1,)


@bounded
def key(text: str) -> tuple:
    match = _VERSION.fullmatch(text.strip())
    if not match:
        raise InvalidVersion(f"not a Hex (SemVer 2.0) version: {text[:80]!r}")
    major, minor, patch, pre = match.groups()
    if max(len(major), len(minor), len(patch)) > MAX_DIGITS:
        raise InvalidVersion(f"version number too long in {text[:80]!r}")
    if pre is None:
        return (int(major), int(minor), int(patch), _RELEASE)
    ids = []
    for part in pre.split("."):
        if part.isdigit():
            if len(part) > 1 and part[0] == "0":
                raise InvalidVersion(f"leading zero in pre-release identifier of {text[:80]!r}")
            if len(part) > MAX_DIGITS:
                raise InvalidVersion(f"pre-release number too long in {text[:80]!r}")
            ids.append((0, int(part), ""))
        else:
            ids.append((1, 0, part))
    return (int(major), int(minor), int(patch), (0, tuple(ids)))
