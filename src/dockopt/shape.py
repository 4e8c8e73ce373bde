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
    """A mismatch at a path (internal: `check` turns it into the caller's error)."""

    def __init__(self, path: str, expected: str, value: Any):
        self.path, self.expected, self.value = path, expected, value


class Spec:
    """One expected shape. `describe()` says it in words ('a list of strings')."""

    def describe(self) -> str:
        raise NotImplementedError

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Scalar(Spec):
    types: tuple[type, ...]
    words: str
    test: Callable[[Any], bool] | None = None
    """An extra condition (a range, a pattern) that the value must meet."""
    test_words: str = ""

    def describe(self) -> str:
        return self.words + (f" ({self.test_words})" if self.test_words else "")

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        # bool is an int in Python, never in JSON/YAML documents
        if isinstance(value, bool) and bool not in self.types or not isinstance(value, self.types):
            raise ShapeError(path, self.describe(), value)
        if self.test is not None and not self.test(value):
            raise ShapeError(path, self.describe(), value)


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

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        return None


@dataclass(frozen=True)
class ListOf(Spec):
    item: Spec

    def describe(self) -> str:
        return f"a list of {_plural(self.item)}"

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        if not isinstance(value, list):
            raise ShapeError(path, self.describe(), value)
        for i, item in enumerate(value):
            self.item.walk(item, f"{path}[{i}]", unknown)


@dataclass(frozen=True)
class MapOf(Spec):
    """An object whose keys are free (labels, annotations) and whose values share a shape."""

    value: Spec

    def describe(self) -> str:
        return f"an object of {_plural(self.value)}"

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        if not isinstance(value, dict):
            raise ShapeError(path, self.describe(), value)
        for key, item in value.items():
            self.value.walk(item, _join(path, str(key)), unknown)


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

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        if not isinstance(value, dict):
            raise ShapeError(path, self.describe(), value)
        for name in self.required:
            if value.get(name) is None:
                raise ShapeError(_join(path, name), "a value (the field is required)", _MISSING)
        for key, item in value.items():
            spec = self.fields.get(key) if isinstance(key, str) else None
            if spec is None:
                if self.report_unknown:
                    unknown.append(_join(path, str(key)))
                continue
            if item is None and key not in self.required:
                continue
            spec.walk(item, _join(path, key), unknown)


@dataclass(frozen=True)
class OneOf(Spec):
    """The first of several shapes that fits (e.g. one rule id or a list of them)."""

    options: tuple[Spec, ...]

    def describe(self) -> str:
        return " or ".join(o.describe() for o in self.options)

    def walk(self, value: Any, path: str, unknown: list[str]) -> None:
        for option in self.options:
            try:
                option.walk(value, path, unknown)
                return
            except ShapeError:
                continue
        raise ShapeError(path, self.describe(), value)


_MISSING = object()


def _plural(spec: Spec) -> str:
    """'strings', 'objects', 'values that are each a string or a number'."""
    words = spec.describe()
    article, _, noun = words.partition(" ")
    if isinstance(spec, (Scalar, Obj)) and article in ("a", "an") and noun and " " not in noun:
        return noun + "s"
    return f"values that are each {words}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def describe_value(value: Any, literal: bool) -> str:
    """How an offending value is named: by its type (image documents), or, for short scalars in a
    file the user wrote, by the value itself (`got 5`)."""
    if value is _MISSING:
        return "nothing"
    if literal and not isinstance(value, (dict, list)):
        text = "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)
        if len(text) <= 40:
            return text
    return type_name(value)


def check(value: Any, spec: Spec, what: str, *, error: type[DockoptError] = InputError,
          literal: bool = False, path: str = "") -> list[str]:
    """Raise `error("WHAT: PATH: expected …, got …")` unless `value` fits `spec`; returns the
    unknown keys found by `Obj(report_unknown=True)` specs, as dotted paths."""
    unknown: list[str] = []
    try:
        spec.walk(value, path, unknown)
    except ShapeError as exc:
        where = f"{what}: {exc.path}" if exc.path else what
        raise error(f"{where}: expected {exc.expected}, got {describe_value(exc.value, literal)}") from None
    return unknown
