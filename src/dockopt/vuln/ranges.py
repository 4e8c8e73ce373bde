"""The OSV affected-range walk: is an installed version inside a range, and what closes it?

Per the OSV schema: sort a range's events by version ("0" first); walking them, an `introduced`
at or below the installed version makes it affected, a `fixed` at or below it or a
`last_affected` below it makes it unaffected again. `limit` events cap the range: the version
must be below some limit (`*` means no cap). GIT ranges are ignored (commits, not versions).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from dockopt.vuln.versions import InvalidVersion, key_function

KINDS = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True)
class RangeHit:
    """Why a version is inside a range: the events that open and close its interval."""

    range_type: str
    introduced: str
    """The `introduced` event the installed version is at or above ("0" = from the start)."""
    fixed: str | None = None
    """The `fixed` event that closes the interval, i.e. the first version without the flaw."""
    last_affected: str | None = None
    """The `last_affected` event that closes the interval, when the range has no fix."""
    events: tuple[tuple[str, str], ...] = ()
    """All events of the range, in walk order, for the explanation."""


def range_scheme(range_type: str, ecosystem_scheme: str | None) -> str | None:
    """The version scheme a range's events are ordered in: a SEMVER range is SemVer whatever the
    ecosystem (a PyPI record may carry one for versions PEP 440 cannot read); ECOSYSTEM ranges
    use the ecosystem's own scheme (None: unknown ecosystem, the range cannot be walked)."""
    return "semver" if range_type == "SEMVER" else ecosystem_scheme


def parse_events(raw_events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    events = []
    for event in raw_events or ():
        for kind in KINDS:
            if kind in event and event[kind] is not None:
                events.append((kind, str(event[kind])))
                break
    return events


@dataclass(frozen=True)
class PreparedRange:
    """A range with its event versions parsed and sorted once, to test many versions fast."""

    range_type: str
    keyed: tuple[tuple[str, str, Any], ...]
    limits: tuple[Any, ...]
    events: tuple[tuple[str, str], ...]
    """(kind, version) in walk order, limits included: what the explanation shows."""

    def hit(self, installed_key: Any) -> RangeHit | None:
        if self.limits and not any(installed_key < k for k in self.limits):
            return None
        affected = False
        opened = None
        for kind, version, k in self.keyed:
            if kind == "introduced":
                if k is None or installed_key >= k:
                    affected, opened = True, version
                else:
                    break  # sorted: no later event can open the range for this version
            elif kind == "fixed":
                if installed_key >= k:
                    affected = False
            elif kind == "last_affected":
                if installed_key > k:
                    affected = False
        if not affected or opened is None:
            return None
        fixed = last = None
        for kind, version, k in self.keyed:
            if kind == "fixed" and installed_key < k:
                fixed = version
                break
            if kind == "last_affected" and installed_key <= k:
                last = version
                break
        return RangeHit(range_type=self.range_type, introduced=opened, fixed=fixed, last_affected=last,
                        events=self.events)


def prepare(range_type: str, events: list[tuple[str, str]], scheme: str) -> PreparedRange:
    """Parse and sort a range's events. Raises InvalidVersion for an event `scheme` cannot read."""
    key = key_function(scheme)
    keyed: list[tuple[str, str, Any]] = []
    for kind, version in events:
        if kind == "limit" and version == "*":
            continue
        if kind == "introduced" and version == "0":
            keyed.append((kind, version, None))  # None: below every version
        else:
            keyed.append((kind, version, key(version)))
    keyed.sort(key=functools.cmp_to_key(_event_order))
    limits = tuple(k for kind, _, k in keyed if kind == "limit")
    return PreparedRange(range_type, tuple(e for e in keyed if e[0] != "limit"), limits,
                         tuple((kind, version) for kind, version, _ in keyed))


def walk(installed: str, range_type: str, events: list[tuple[str, str]], scheme: str) -> RangeHit | None:
    """The hit when `installed` lies in the range, else None. Raises InvalidVersion when the
    installed version or an event version is not a version of `scheme`."""
    return prepare(range_type, events, scheme).hit(key_function(scheme)(installed))


def _event_order(a: tuple[str, str, Any], b: tuple[str, str, Any]) -> int:
    ka, kb = a[2], b[2]
    if ka is None or kb is None:
        return (ka is not None) - (kb is not None)
    return (ka > kb) - (ka < kb)


def canonical_function(scheme: str | None) -> Callable[[str], str]:
    """How to spell versions so explicit `versions` lists can be compared as strings."""
    if scheme == "pep440":
        from dockopt.vuln.versions.pep440 import canonical
        return canonical
    if scheme == "semver":
        from dockopt.vuln.versions.semver import canonical
        return canonical
    return str.strip


__all__ = ["RangeHit", "walk", "range_scheme", "parse_events", "canonical_function", "InvalidVersion"]
