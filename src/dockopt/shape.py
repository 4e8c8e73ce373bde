"""Declared shapes of untrusted documents, checked once, with the offending field named.

A document parsed by `safeload` is only JSON/YAML values; before any code does `.get` on it, its
shape is checked against a declaration made of the few specs below (`Str`, `Int`, `ListOf`,
`MapOf`, `Obj` …). A mismatch raises the caller's error class with one line that names the
document and the path of the field: `config blob sha256:…: rootfs.diff_ids: expected a list of
strings, got a number`. Unknown keys of an `Obj` are either allowed (image documents, OSV: the
specs let producers add fields) or reported back to the caller (the user's config: a warning).

Documents are depth-capped by `safeload`, so the check may recurse over nesting; it loops over
list items and object members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from dockopt.errors import DockoptError, InputError
from dockopt.safeload import type_name


class ShapeError(Exception):
    """A mismatch (internal: `check` turns it into the caller's error). The path is collected
    while the error unwinds, so a document that fits costs no path strings at all."""

    def __init__(self, expected: str, value: Any):
        self.expected, self.value = expected, value
        self.parts: list[str | int] = []
        """Keys and indexes from the mismatch outwards (reversed)."""


Unknown = list[list[str | int]]
"""Paths (key/index lists) of unknown keys found by `Obj(report_unknown=True)`."""


class Spec:
    """One expected shape. `describe()` says it in words ('a list of strings')."""

    def describe(self) -> str:
        raise NotImplementedError

    def walk(self, value: Any) -> Unknown:
        """Raise ShapeError unless `value` fits; return the unknown keys found inside."""
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Spec):
    types: tuple[type, ...]
    words: str
    test: Callable[[Any], bool] | None = None
    """An extra condition (a range, a length) that the value must meet."""
    test_words: str = ""

    def describe(self) -> str:
        return self.words + (f" ({self.test_words})" if self.test_words else "")

    def fits(self, value: Any) -> bool:
        # bool is an int in Python, never in JSON/YAML documents
        if not isinstance(value, self.types) or isinstance(value, bool) and bool not in self.types:
            return False
        return self.test is None or self.test(value)

    def walk(self, value: Any) -> Unknown:
        if not self.fits(value):
            raise ShapeError(self.describe(), value)
        return []


def Str(test: Callable[[str], bool] | None = None, words: str = "") -> Scalar:
    return Scalar((str,), "a string", test, words)


def Int(minimum: int | None = None) -> Scalar:
    test = None if minimum is None else (lambda v: v >= minimum)
    return Scalar((int,), "an integer", test, f"at least {minimum}" if minimum is not None else "")


def Num() -> Scalar:
    return Scalar((int, float), "a number")


def Bool() -> Scalar:
    return Scalar((bool,), "a boolean (true or false)")


@dataclass(frozen=True)
class AnyValue(Spec):
    def describe(self) -> str:
        return "any value"

    def walk(self, value: Any) -> Unknown:
        return []


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec
    max_items: int | None = None

    def describe(self) -> str:
        bound = f"at most {self.max_items} " if self.max_items is not None else ""
        return f"a list of {bound}{_plural(self.item)}"

    def walk(self, value: Any) -> Unknown:
        if not isinstance(value, list) or self.max_items is not None and len(value) > self.max_items:
            raise ShapeError(self.describe(), value)
        item = self.item
        if isinstance(item, Scalar):  # the common case (versions, diff-IDs): no nested walk
            fits = item.fits
            for i, v in enumerate(value):
                if not fits(v):
                    exc = ShapeError(item.describe(), v)
                    exc.parts.append(i)
                    raise exc
            return []
        unknown: Unknown = []
        for i, v in enumerate(value):
            try:
                inner = item.walk(v)
            except ShapeError as exc:
                exc.parts.append(i)
                raise
            unknown.extend([i, *p] for p in inner)
        return unknown


@dataclass(frozen=True)
class MapOf(Spec):
    """An object whose keys are free (labels, annotations) and whose values share a shape."""

    value: Spec

    def describe(self) -> str:
        return f"an object of {_plural(self.value)}"

    def walk(self, value: Any) -> Unknown:
        if not isinstance(value, dict):
            raise ShapeError(self.describe(), value)
        unknown: Unknown = []
        for key, item in value.items():
            try:
                inner = self.value.walk(item)
            except ShapeError as exc:
                exc.parts.append(str(key))
                raise
            unknown.extend([str(key), *p] for p in inner)
        return unknown


@dataclass(frozen=True)
class Obj(Spec):
    """An object with named fields. Absent or null optional fields are fine."""

    fields: dict[str, Spec] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    report_unknown: bool = False
    """Collect unknown keys (config files warn about them); otherwise they are allowed."""
    words: str = "an object"

    def describe(self) -> str:
        return self.words

    def walk(self, value: Any) -> Unknown:
        if not isinstance(value, dict):
            raise ShapeError(self.describe(), value)
        for name in self.required:
            if value.get(name) is None:
                exc = ShapeError("a value (the field is required)", _MISSING)
                exc.parts.append(name)
                raise exc
        unknown: Unknown = []
        fields = self.fields
        for key, item in value.items():
            spec = fields.get(key) if isinstance(key, str) else None
            if spec is None:
                if self.report_unknown:
                    unknown.append([str(key)])
                continue
            if item is None and key not in self.required:
                continue
            try:
                inner = spec.walk(item)
            except ShapeError as exc:
                exc.parts.append(key)
                raise
            unknown.extend([key, *p] for p in inner)
        return unknown


@dataclass(frozen=True)
class OneOf(Spec):
    """The first of several shapes that fits (e.g. one rule id or a list of them)."""

    options: tuple[Spec, ...]

    def describe(self) -> str:
        return " or ".join(o.describe() for o in self.options)

    def walk(self, value: Any) -> Unknown:
        for option in self.options:
            try:
                return option.walk(value)
            except ShapeError:
                continue
        raise ShapeError(self.describe(), value)


_MISSING = object()


def _plural(spec: Spec) -> str:
    """'strings', 'objects', 'values that are each a string or a number'."""
    words = spec.describe()
    article, _, noun = words.partition(" ")
    if isinstance(spec, (Scalar, Obj)) and article in ("a", "an") and noun and " " not in noun:
        return noun + "s"
    return f"values that are each {words}"


def format_path(parts: list[str | int], start: str = "") -> str:
    """['rootfs', 'diff_ids', 3] -> 'rootfs.diff_ids[3]'."""
    out = start
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def describe_value(value: Any, literal: bool) -> str:
    """How an offending value is named: by its type (image documents), or, for short scalars in a
    file the user wrote, by the value itself (`got 5`)."""
    if value is _MISSING:
        return "nothing"
    if literal and not isinstance(value, (dict, list)):
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)
        if len(text) <= 40:
            return text
    if isinstance(value, str) and len(value) > 40:
        return f"a string of {len(value)} characters"
    if isinstance(value, list):
        return f"a list of {len(value)} items" if len(value) > 1000 else "a list"
    return type_name(value)


def check(value: Any, spec: Spec, what: str, *, error: type[DockoptError] = InputError,
          literal: bool = False, path: str = "") -> list[str]:
    """Raise `error("WHAT: PATH: expected …, got …")` unless `value` fits `spec`; returns the
    unknown keys found by `Obj(report_unknown=True)` specs, as dotted paths."""
    try:
        unknown = spec.walk(value)
    except ShapeError as exc:
        where = format_path(exc.parts[::-1], path)
        where = f"{what}: {where}" if where else what
        raise error(f"{where}: expected {exc.expected}, got {describe_value(exc.value, literal)}") from None
    return [format_path(parts, path) for parts in unknown]
