"""The OSV record model (https://ossf.github.io/osv-schema/), as far as matching needs it.

`parse_record` turns one record (a dict from JSON or YAML) into frozen dataclasses, tolerating
what real exports contain: placeholder dates (`0001-01-01T00:00:00Z`), missing optional fields,
GIT ranges (kept in the model, ignored by matching), and unknown extra fields (ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockopt.shape import AnyValue, ListOf, Obj, Str

EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
VERSION_RANGE_TYPES = ("ECOSYSTEM", "SEMVER")
"""Range types whose events are versions; GIT ranges hold commits and cannot match versions."""


MAX_VERSION = 256
"""Longest version text accepted (real ones stay under 100 characters; a 5,000-digit "version"
would make every later comparison fail)."""
MAX_EVENTS = 10_000
MAX_RANGES = 1_000
MAX_VERSIONS = 100_000
MAX_AFFECTED = 100_000

VERSION = Str(lambda v: 0 < len(v) <= MAX_VERSION, f"1 to {MAX_VERSION} characters")
EVENT = Obj({kind: VERSION for kind in EVENT_KINDS})
RANGE = Obj({"type": Str(), "repo": Str(), "events": ListOf(EVENT, MAX_EVENTS)}, required=("type", "events"))
SEVERITY = ListOf(Obj({"type": Str(), "score": Str()}))
AFFECTED = Obj({"package": Obj({"ecosystem": Str(), "name": Str(), "purl": Str()}),
                "ranges": ListOf(RANGE, MAX_RANGES), "versions": ListOf(VERSION, MAX_VERSIONS),
                "severity": SEVERITY, "ecosystem_specific": AnyValue(), "database_specific": AnyValue()})
RECORD = Obj({"id": Str(), "modified": Str(), "published": Str(), "withdrawn": Str(), "aliases": ListOf(Str()),
              "summary": Str(), "severity": SEVERITY, "affected": ListOf(AFFECTED, MAX_AFFECTED),
              "references": ListOf(Obj({"type": Str(), "url": Str()}))}, required=("id",))
"""The fields of an OSV record that matching reads, as the OSV schema gives them (others are
kept in the stored record and not checked). Checked at import: a record of another shape is an
error naming the field (`db import`) or skipped with that line as a note (`db update`)."""


class InvalidRecord(ValueError):
    """Not an OSV record."""


@dataclass(frozen=True, slots=True)
class SeverityEntry:
    type: str
    """CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu …"""
    score: str
    """A CVSS vector, or the ecosystem's word (Ubuntu: "medium")."""


@dataclass(frozen=True, slots=True)
class Range:
    type: str
    events: tuple[tuple[str, str], ...]
    """(kind, version) with kind one of EVENT_KINDS, in the record's order."""
    repo: str | None = None

    @property
    def matches_versions(self) -> bool:
        return self.type in VERSION_RANGE_TYPES


@dataclass(frozen=True, slots=True)
class Affected:
    ecosystem: str
    name: str
    purl: str | None
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]
    severity: tuple[SeverityEntry, ...]
    rating: str | None
    """The ecosystem's own severity word (GHSA `database_specific.severity`, Debian urgency …)."""

    @property
    def matchable(self) -> bool:
        """Whether a version can be tested against it at all (a version range or a version list)."""
        return bool(self.versions) or any(r.matches_versions for r in self.ranges)


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    modified: str | None
    published: str | None
    withdrawn: str | None
    aliases: tuple[str, ...]
    summary: str | None
    severity: tuple[SeverityEntry, ...]
    affected: tuple[Affected, ...]
    references: tuple[str, ...]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _severity(value: Any) -> tuple[SeverityEntry, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(SeverityEntry(str(s["type"]), str(s["score"])) for s in value
                 if isinstance(s, dict) and "type" in s and "score" in s)


def _rating(affected: dict[str, Any], record: dict[str, Any]) -> str | None:
    for holder in (affected.get("ecosystem_specific"), affected.get("database_specific"),
                   record.get("database_specific")):
        if isinstance(holder, dict):
            for field_name in ("severity", "urgency"):
                value = holder.get(field_name)
                if isinstance(value, str) and value.strip():
                    return value.strip()
            if holder.get("informational"):  # RustSec: unmaintained, unsound …
                return "informational"
    return None


def _events(raw: Any) -> tuple[tuple[str, str], ...]:
    events = []
    for event in raw if isinstance(raw, list) else ():
        if isinstance(event, dict):
            for kind in EVENT_KINDS:
                if event.get(kind) is not None:
                    events.append((kind, str(event[kind])))
                    break
    return tuple(events)


def _affected(raw: Any, record: dict[str, Any]) -> Affected | None:
    if not isinstance(raw, dict):
        return None
    package = raw.get("package") if isinstance(raw.get("package"), dict) else {}
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not isinstance(name, str):
        return None  # OSV allows package-less entries (ranges on a repository only)
    ranges = tuple([Range(str(r.get("type")), _events(r.get("events")), _text(r.get("repo")))
                    for r in raw.get("ranges") or () if isinstance(r, dict)])
    raw_versions = raw.get("versions")
    # Version lists can hold hundreds of entries: convert them in C, not in a Python loop.
    versions = tuple(map(str, raw_versions)) if isinstance(raw_versions, list) else ()
    return Affected(ecosystem, name, _text(package.get("purl")), ranges, versions, _severity(raw.get("severity")),
                    _rating(raw, record))


def parse_record(data: Any) -> Record:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise InvalidRecord("not an OSV record (no string `id`)")
    raw_affected = data.get("affected") if isinstance(data.get("affected"), list) else []
    affected = tuple([a for a in [_affected(raw, data) for raw in raw_affected] if a is not None])
    aliases = tuple([a for a in data.get("aliases") or () if isinstance(a, str)])
    references = tuple([r["url"] for r in data.get("references") or ()
                        if isinstance(r, dict) and isinstance(r.get("url"), str)])
    return Record(id=data["id"], modified=_text(data.get("modified")), published=_text(data.get("published")),
                  withdrawn=_text(data.get("withdrawn")), aliases=aliases, summary=_text(data.get("summary")),
                  severity=_severity(data.get("severity")), affected=affected, references=references)
