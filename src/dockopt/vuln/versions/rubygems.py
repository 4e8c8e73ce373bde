"""RubyGems versions (`Gem::Version`): dot-separated segments; a letter starts a pre-release.

Segments split at dots and at digit/letter switches; trailing zero segments are dropped; any string
segment makes the version a pre-release, which sorts before the release; a number is newer than a
string at the same position.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion, bounded

# Gem::Version::ANCHORED_VERSION_PATTERN (less the empty version, which rubygems reads as "0").
_OK = re.compile(r"[0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?", re.ASCII)
_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE)


@bounded
def key(text: str) -> tuple:
    text = text.strip()
    if not _OK.fullmatch(text):
        raise InvalidVersion(f"not a RubyGems version: {text!r}")
    text = text.replace("-", ".pre.")
    # Numbers as their digits without leading zeros (compared by length, then digit by digit:
    # numeric order without converting a 5,000-digit segment), strings as they are.
    segments = [(s.lstrip("0") if s.isdigit() else s, s.isdigit()) for s in _SEGMENT.findall(text)]
    # Canonical form (Gem::Version#canonical_segments): trailing zeros of the release part (up to
    # the first string) and of the pre-release part carry no weight.
    first_string = next((i for i, (_, number) in enumerate(segments) if not number), len(segments))
    release, pre = segments[:first_string], segments[first_string:]
    while release and release[-1] == ("", True):
        release.pop()
    while pre and pre[-1] == ("", True):
        pre.pop()
    canonical = release + pre
    # Gem::Version pads the shorter version with zeros, and a number is newer than a string
    # (case-sensitive: "1.0.A" < "1.0.a"). A zero therefore compares with the end of a shorter
    # version as the next non-zero segment does: newer if that is a number, older if a string;
    # each zero carries that as its last field, and the end marker carries 0.
    items = []
    for index, (value, number) in enumerate(canonical):
        if not number:
            items.append((0, (0, ""), value, 0))
        elif value:
            items.append((1, (len(value), value), "", 0))
        else:
            following = next(n for v, n in canonical[index + 1:] if not n or v)
            items.append((1, (0, ""), "", 1 if following else -1))
    return tuple(items) + ((1, (0, ""), "", 0),)
