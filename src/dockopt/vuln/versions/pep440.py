"""Python (PEP 440) versions, via `packaging` (the reference implementation pip uses)."""

from __future__ import annotations

from packaging.version import InvalidVersion as _PackagingInvalid
from packaging.version import Version

from dockopt.vuln.versions import InvalidVersion, bounded


@bounded
def key(text: str) -> Version:
    try:
        return Version(text.strip())
    except _PackagingInvalid:
        raise InvalidVersion(f"not a PEP 440 version: {text!r}") from None


def canonical(text: str) -> str:
    """The normal form, so `1.0` and `1.0.0`'s spellings compare as strings (explicit version lists)."""
    try:
        return str(Version(text.strip()))
    except _PackagingInvalid:
        return text.strip()
