"""Semantic versions (semver.org 2.0) as npm, Go modules and crates.io use them.

Leniencies the ecosystems need: a leading `v` (Go: `v1.2.3`) or `go` (Go's standard library
`go1.21.3`), missing minor/patch (`1.2` = `1.2.0`), and build metadata (`+incompatible`, `+build.5`)
ignored for ordering, as the SemVer spec says.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion, bounded

_SEMVER = re.compile(
    r"^(0|[1-9]\d*|\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z.-]+)?$",
    re.ASCII,
)

# A release sorts after every pre-release of the same version.
_RELEASE = (1,)


def strip_prefix(text: str) -> str:
    text = text.strip()
    if text.startswith("go") and len(text) > 2 and text[2].isdigit():
        return text[2:]
    if text[:1] in ("v", "V") and len(text) > 1 and text[1].isdigit():
        return text[1:]
    return text


@bounded
def key(text: str) -> tuple:
    match = _SEMVER.match(strip_prefix(text))
    if not match:
        raise InvalidVersion(f"not a semantic version: {text!r}")
    major, minor, patch, pre = match.groups()
    if pre is None:
        pre_key: tuple = _RELEASE
    else:
        # Numeric identifiers sort numerically and before alphanumeric ones.
        ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
        pre_key = (0, ids)
    return (int(major), int(minor or 0), int(patch or 0), pre_key)


def canonical(text: str) -> str:
    """Without prefix and build metadata: `v1.2.3+incompatible` -> `1.2.3`."""
    return strip_prefix(text).split("+", 1)[0]
