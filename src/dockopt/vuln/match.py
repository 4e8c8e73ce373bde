"""Matching packages against the OSV store. Independent of how packages were found: give it
`Package` records (from the catalogers of an image, or from an SBOM) and an open `VulnDB`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from dockopt.catalog.model import Package
from dockopt.findings import Category, Finding, Location, Severity
from dockopt.vuln.db import AffectedRow, RecordRow, VulnDB
from dockopt.vuln.ecosystems import lookups, scheme_for
from dockopt.vuln.ranges import PreparedRange, RangeHit, canonical_function, parse_events, prepare
from dockopt.vuln.severity import Rating, rate
from dockopt.vuln.versions import InvalidVersion, key_function


@dataclass(frozen=True)
class Match:
    """One package affected by one OSV record, with everything needed to explain why."""

    package: Package
    record_id: str
    aliases: tuple[str, ...]
    summary: str | None
    ecosystem: str
    """The OSV ecosystem it was looked up in, e.g. Debian:12."""
    looked_up_name: str
    """The name looked up: the source package for dpkg/apk binaries."""
    compared_version: str
    """The version compared with the record (the source version for dpkg binaries)."""
    matched_by: str
    """"range" (an affected range contains the version) or "versions" (listed explicitly)."""
    hit: RangeHit | None
    severity: Severity
    severity_source: str
    cvss_score: float | None = None
    cvss_vector: str | None = None
    references: tuple[str, ...] = ()

    @property
    def fixed_version(self) -> str | None:
        return self.hit.fixed if self.hit else None

    @property
    def vulnerability_ids(self) -> tuple[str, ...]:
        return (self.record_id, *self.aliases)

    def explanation(self) -> str:
        pkg = self.package
        name = pkg.name if self.looked_up_name == pkg.name else f"{pkg.name} (source {self.looked_up_name})"
        text = f"{name} {self.compared_version} in {self.ecosystem}"
        if self.hit:
            closing = (f"fixed {self.hit.fixed}" if self.hit.fixed else
                       f"last_affected {self.hit.last_affected}" if self.hit.last_affected else "no fix yet")
            text += f" lies in {self.hit.range_type} range [introduced {self.hit.introduced}, {closing}]"
        else:
            text += " is listed in the record's affected versions"
        if pkg.locations:
            layer, path = pkg.locations[0]
            text += f"; found at {path}" + (f" (layer {layer[:19]})" if layer else "")
        return text

    def to_dict(self) -> dict[str, Any]:
        pkg = self.package
        out: dict[str, Any] = {
            "id": self.record_id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "severity": str(self.severity),
            "severity_source": self.severity_source,
            "cvss_score": self.cvss_score,
            "cvss_vector": self.cvss_vector,
            "package": {"name": pkg.name, "version": pkg.version, "type": pkg.type, "purl": pkg.purl,
                        "source_name": pkg.source_name, "source_version": pkg.source_version,
                        "locations": [{"layer": layer, "path": path} for layer, path in pkg.locations],
                        "from_base": pkg.from_base},
            "fixed_version": self.fixed_version,
            "match": {
                "ecosystem": self.ecosystem,
                "name": self.looked_up_name,
                "version": self.compared_version,
                "by": self.matched_by,
                "range": None if self.hit is None else {
                    "type": self.hit.range_type, "introduced": self.hit.introduced, "fixed": self.hit.fixed,
                    "last_affected": self.hit.last_affected,
                    "events": [{kind: version} for kind, version in self.hit.events]},
                "explanation": self.explanation(),
            },
            "references": list(self.references),
        }
        return out

    def to_finding(self) -> Finding:
        pkg = self.package
        layer, path = pkg.locations[0] if pkg.locations else (None, None)
        ids = self.record_id + (f" ({', '.join(self.aliases[:3])})" if self.aliases else "")
        fix = f"; fixed in {self.fixed_version}" if self.fixed_version else "; no fixed version yet"
        return Finding(
            rule_id=self.record_id,
            severity=self.severity,
            category=Category.SECURITY,
            message=f"{pkg.name} {pkg.version} is affected by {ids}{fix}",
            location=Location(layer_digest=layer, path=path),
            title=self.summary or self.record_id,
            details=self.to_dict(),
        )


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things the user should know: versions that could not be compared, unknown distros …"""
    packages: int = 0


class _Prepared:
    """Per DB row: its ranges parsed and sorted once, its version list canonicalised once,
    its rating decided once (they are shared by every package that has the row's name)."""

    def __init__(self, db: VulnDB) -> None:
        self.db = db
        self.rows: dict[int, tuple[list[PreparedRange], list[str]]] = {}
        self.listed: dict[int, set[str]] = {}
        self.ratings: dict[int, Rating] = {}
        self.references: dict[str, tuple[str, ...]] = {}

    def row(self, row: AffectedRow, scheme: str | None) -> tuple[list[PreparedRange], list[str]]:
        cached = self.rows.get(id(row))
        if cached is None:
            prepared: list[PreparedRange] = []
            problems: list[str] = []
            for raw in row.ranges:
                range_type = raw.get("type") or "ECOSYSTEM"
                range_scheme = "semver" if range_type == "SEMVER" else scheme
                events = parse_events(raw.get("events"))
                if range_scheme is None or not events:
                    continue
                try:
                    prepared.append(prepare(range_type, events, range_scheme))
                except InvalidVersion as exc:
                    problems.append(f"{row.record_id}: {range_type} range skipped ({exc})")
            cached = (prepared, problems)
            self.rows[id(row)] = cached
        return cached

    def versions(self, row: AffectedRow, canonical) -> set[str]:
        cached = self.listed.get(id(row))
        if cached is None:
            cached = self.listed[id(row)] = {canonical(v) for v in row.versions}
        return cached

    def rating(self, row: AffectedRow, record: RecordRow) -> Rating:
        cached = self.ratings.get(id(row))
        if cached is None:
            cached = self.ratings[id(row)] = rate(row.severity + record.severity, row.rating)
        return cached

    def refs(self, record: RecordRow) -> tuple[str, ...]:
        cached = self.references.get(record.id)
        if cached is None:
            cached = tuple(r.get("url") for r in record.data.get("references") or []
                           if isinstance(r, dict) and r.get("url"))[:5]
            self.references[record.id] = cached
        return cached


def match_packages(packages: Iterable[Package], db: VulnDB) -> MatchResult:
    result = MatchResult()
    prepared = _Prepared(db)
    notes: dict[str, None] = {}
    unknown_distros: set[str] = set()
    for package in packages:
        result.packages += 1
        targets = lookups(package)
        if not targets and package.type in ("deb", "apk", "rpm"):
            unknown_distros.add(f"{package.distro_id or '?'} {package.distro_version or ''}".strip())
        matched_ids: set[str] = set()
        for ecosystem, name, version in targets:
            rows = db.affected(ecosystem, name)
            if not rows:
                continue
            scheme = scheme_for(ecosystem)
            canonical = canonical_function(scheme)
            canonical_version = canonical(version)
            keys: dict[str, Any] = {}
            for row in rows:
                if row.record_id in matched_ids:
                    continue
                ranges, problems = prepared.row(row, scheme)
                for problem in problems:
                    notes.setdefault(problem)
                hit = None
                by = None
                for prepared_range in ranges:
                    range_scheme = "semver" if prepared_range.range_type == "SEMVER" else scheme
                    installed_key = keys.get(range_scheme)
                    if installed_key is None:
                        try:
                            installed_key = keys[range_scheme] = key_function(range_scheme)(version)
                        except InvalidVersion as exc:
                            notes.setdefault(f"{package.name} {version}: not comparable in {ecosystem} ({exc})")
                            keys[range_scheme] = _UNCOMPARABLE
                            continue
                    if installed_key is _UNCOMPARABLE:
                        continue
                    hit = prepared_range.hit(installed_key)
                    if hit:
                        by = "range"
                        break
                if by is None and row.versions and canonical_version in prepared.versions(row, canonical):
                    by = "versions"
                if by is None:
                    continue
                matched_ids.add(row.record_id)
                result.matches.append(_make_match(prepared, package, row, ecosystem, name, version, hit, by))
    result.notes.extend(notes)
    for distro in sorted(unknown_distros):
        result.notes.append(f"no OSV ecosystem known for distro {distro!r}: its OS packages were not matched")
    result.matches.sort(key=lambda m: (-m.severity, m.package.name, m.record_id))
    return result


_UNCOMPARABLE = object()


def _make_match(prepared: _Prepared, package: Package, row: AffectedRow, ecosystem: str, name: str,
                version: str, hit: RangeHit | None, by: str) -> Match:
    record = prepared.db.record(row.record_id)
    rating = prepared.rating(row, record)
    return Match(package=package, record_id=record.id, aliases=record.aliases, summary=record.summary,
                 ecosystem=ecosystem, looked_up_name=name, compared_version=version, matched_by=by, hit=hit,
                 severity=rating.severity, severity_source=rating.source, cvss_score=rating.score,
                 cvss_vector=rating.vector, references=prepared.refs(record))
