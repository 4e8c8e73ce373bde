"""Version comparison, one module per scheme.

Each scheme module exposes `key(text) -> object`: a value whose ordering (`<`, `==`, `>`) is the
scheme's ordering, raising `InvalidVersion` for text the scheme cannot order. Keys are cached,
because the range walk compares the same few versions many times.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any, Callable


class InvalidVersion(ValueError):
    """The text is not a version of this scheme."""


# Far longer than any published version (the longest real ones, Debian's, stay under 100); a cap
# keeps every scheme's parse and comparison bounded (no 5,000-digit numbers, no deep nesting).
MAX_VERSION_LENGTH = 512


def bounded(key: Callable[[str], Any]) -> Callable[[str], Any]:
    """Wraps a scheme's `key`: text that is not a string or is longer than MAX_VERSION_LENGTH is
    refused before it is parsed."""

    @functools.wraps(key)
    def checked(text: str) -> Any:
        if not isinstance(text, str):
            raise InvalidVersion(f"not a version string: {type(text).__name__}")
        if len(text) > MAX_VERSION_LENGTH:
            raise InvalidVersion(f"version longer than {MAX_VERSION_LENGTH} characters: {text[:40]!r}…")
        return key(text)

    return checked


SCHEME_NAMES = ("debian", "rpm", "alpine", "pep440", "semver", "maven", "rubygems", "nuget", "packagist", "hex", "pub")


@functools.cache
def _module(name: str) -> ModuleType:
    import importlib

    if name not in SCHEME_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"dockopt.vuln.versions.{name}")


@functools.cache
def key_function(scheme: str) -> Callable[[str], Any]:
    """The cached key function of `scheme` (one of SCHEME_NAMES)."""
    return functools.lru_cache(maxsize=65536)(_module(scheme).key)


def compare(scheme: str, a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, equal to or newer than `b` under `scheme`."""
    key = key_function(scheme)
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)


class CmpKey:
    """Adapts a three-way compare function into a key, for schemes with no natural tuple form."""

    __slots__ = ("value", "cmp")

    def __init__(self, value: Any, cmp: Callable[[Any, Any], int]):
        self.value = value
        self.cmp = cmp

    def __lt__(self, other: "CmpKey") -> bool:
        return self.cmp(self.value, other.value) < 0

    def __gt__(self, other: "CmpKey") -> bool:
        return self.cmp(self.value, other.value) > 0

    def __le__(self, other: "CmpKey") -> bool:
        return self.cmp(self.value, other.value) <= 0

    def __ge__(self, other: "CmpKey") -> bool:
        return self.cmp(self.value, other.value) >= 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CmpKey) and self.cmp(self.value, other.value) == 0

    def __hash__(self) -> int:  # equal keys may differ in text; hashing is not meaningful
        raise TypeError("version keys of this scheme are not hashable")

    def __repr__(self) -> str:
        return f"CmpKey({self.value!r})"
