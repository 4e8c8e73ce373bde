"""RubyGems versions (`Gem::Version`): dot-separated segments; a letter starts a pre-release.

Segments split at dots and at digit/letter switches; trailing zero segments are dropped; any string
segment makes the version a pre-release, which sorts before the release; a number is newer than a
string at the same position.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion

_OK = re.compile(r"^[0-9]+(?:\.[0-9A-Za-z]+)*(?:-[0-9A-Za-z.-]+)?$")
_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE)


def key(text: str) -> tuple:
    text = text.strip()
    if not _OK.match(text):
        raise InvalidVersion(f"not a RubyGems version: {text!r}")
    text = text.replace("-", ".pre.")
    segments = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(text)]
    # Canonical form: zeros that end the release part (before a pre-release string or the end)
    # carry no weight.
    first_string = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    release, pre = segments[:first_string], segments[first_string:]
    while release and release[-1] == 0:
        release.pop()
    while pre and pre[-1] == 0:
        pre.pop()
    # Numbers as (1, n, ""), strings as (0, 0, s): a string is older than any number. The final
    # (1, 0, "") stands for the zeros a shorter version is padded with.
    items = tuple((1, s, "") if isinstance(s, int) else (0, 0, s.lower()) for s in release + pre)
    return items + ((1, 0, ""),)
