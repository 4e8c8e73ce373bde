"""Debian (dpkg) versions: `[epoch:]upstream[-revision]`, compared like dpkg's `verrevcmp`.

Within upstream and revision, dpkg alternates a run of non-digits (compared character by
character, where `~` sorts before everything, even the end of the string, and letters sort before
other characters) and a run of digits (compared numerically). We turn that into a tuple key so
ordering is plain tuple comparison.
"""

from __future__ import annotations

import re

from dockopt.vuln.versions import InvalidVersion, bounded

_PART = re.compile(r"(\D*)(\d*)")
_UPSTREAM_OK = re.compile(r"^[0-9][A-Za-z0-9.+~:-]*$")
_REVISION_OK = re.compile(r"^[A-Za-z0-9.+~]*$")
# What an exhausted string contributes: an empty non-digit run (weight 0) and the number 0.
_END = ((0,), 0)


def _char_weight(ch: str) -> int:
    if ch == "~":
        return -1
    if ch.isascii() and ch.isalpha():
        return ord(ch)
    return ord(ch) + 256


def _part_key(text: str) -> tuple:
    pairs = []
    for letters, digits in _PART.findall(text):
        if not letters and not digits:
            continue
        pairs.append((tuple(_char_weight(c) for c in letters) + (0,), int(digits) if digits else 0))
    # Trailing runs that weigh like the end of the string compare equal to it ("1.0-0" == "1.0").
    while pairs and pairs[-1] == _END:
        pairs.pop()
    # Pad with two end markers: only the first pair can itself look like the end (a leading
    # "0"), so the second marker is what a longer version's next run is compared against.
    pairs.append(_END)
    pairs.append(_END)
    return tuple(pairs)


def split(text: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision); raises InvalidVersion for text dpkg would reject."""
    text = text.strip()
    epoch = 0
    rest = text
    if ":" in text:
        head, rest = text.split(":", 1)
        if not (head.isascii() and head.isdigit()):
            raise InvalidVersion(f"bad epoch in Debian version {text!r}")
        epoch = int(head)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    if not _UPSTREAM_OK.match(upstream) or not _REVISION_OK.match(revision):
        raise InvalidVersion(f"not a Debian version: {text!r}")
    return epoch, upstream, revision


@bounded
def key(text: str) -> tuple:
    epoch, upstream, revision = split(text)
    return (epoch, _part_key(upstream), _part_key(revision))
