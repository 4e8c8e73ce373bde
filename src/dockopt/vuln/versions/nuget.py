"""NuGet versions, ordered as NuGet.Versioning's `NuGetVersion` with `VersionComparer.Default`.

Parsing follows `NuGetVersion.TryParse`: the text is trimmed; the version part (up to the first
`-` or `+`) has one to four dot-separated numbers (missing ones are 0, leading zeros allowed,
each at most 2,147,483,647, whitespace around a number tolerated); there is no `v` prefix.
Release labels (after `-`) and metadata (after `+`) are dot-separated `[0-9A-Za-z-]+`
identifiers; a numeric label may not have leading zeros.

Order: the four numbers; then a release is newer than any pre-release; labels compare one by
one, a label `int.TryParse` reads (`7`, `-1`, within 32 bits) numerically and before text labels,
text labels case-insensitively (ordinal, upper-cased), and a shorter label list first when it is
a prefix. Metadata is ignored: `1.0.0+a` = `1.0.0+b` = `1.0.0` = `1.0.0.0`.
"""

from __future__ import annotations

import re
import unicodedata

from dockopt.vuln.versions import InvalidVersion, bounded

_INT32_MAX = 2**31 - 1
_IDENTIFIER = re.compile(r"[0-9A-Za-z-]+", re.ASCII)
_LABEL_NUMBER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_RELEASE = (1,)


def _is_space(ch: str) -> bool:
    """.NET's `char.IsWhiteSpace`: the Unicode separators and \\t..\\r, U+0085."""
    return ch in "\t\n\v\f\r\x85" or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _trim(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_space(text[start]):
        start += 1
    while end > start and _is_space(text[end - 1]):
        end -= 1
    return text[start:end]


def _numbers(text: str, whole: str) -> tuple[int, int, int, int]:
    sections = text.split(".")
    if not 1 <= len(sections) <= 4:
        raise InvalidVersion(f"not a NuGet version (1 to 4 numbers): {whole[:80]!r}")
    numbers = []
    for section in sections:
        digits = _trim(section)
        if not digits or not digits.isascii() or not digits.isdigit():
            raise InvalidVersion(f"not a NuGet version: {whole[:80]!r}")
        value = digits.lstrip("0") or "0"
        if len(value) > 10 or int(value) > _INT32_MAX:
            raise InvalidVersion(f"NuGet version number over 2147483647 in {whole[:80]!r}")
        numbers.append(int(value))
    numbers += [0] * (4 - len(numbers))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def _label_key(label: str) -> tuple:
    if _LABEL_NUMBER.fullmatch(label):
        body = label.lstrip("+-").lstrip("0") or "0"
        if len(body) <= 10:
            value = -int(body) if label[0] == "-" else int(body)
            if -_INT32_MAX - 1 <= value <= _INT32_MAX:
                return (0, value, "")
    return (1, 0, label.upper())


def _identifiers(text: str, whole: str, *, allow_leading_zeros: bool) -> list[str]:
    parts = text.split(".")
    for part in parts:
        if not _IDENTIFIER.fullmatch(part):
            raise InvalidVersion(f"bad label {part[:40]!r} in NuGet version {whole[:80]!r}")
        if not allow_leading_zeros and len(part) > 1 and part[0] == "0" and part.isdigit():
            raise InvalidVersion(f"leading zero in numeric label of NuGet version {whole[:80]!r}")
    return parts


@bounded
def key(text: str) -> tuple:
    value = _trim(text)
    # The version part ends at the first `-` (labels follow, then `+metadata`) or `+`.
    cut = min((value.find(sep) for sep in "-+" if sep in value), default=len(value))
    version, rest = value[:cut], value[cut:]
    labels: list[str] | None = None
    metadata = None
    if rest.startswith("-"):
        label_text, plus, after = rest[1:].partition("+")
        labels = _identifiers(label_text, text, allow_leading_zeros=False)
        metadata = after if plus else None
    elif rest.startswith("+"):
        metadata = rest[1:]
    if metadata is not None:
        _identifiers(metadata, text, allow_leading_zeros=True)
    numbers = _numbers(version, text)
    if labels is None:
        return numbers + (_RELEASE,)
    return numbers + ((0, tuple(_label_key(label) for label in labels)),)
