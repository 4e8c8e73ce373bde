"""Matching packages against the OSV store. Independent of how packages were found: give it
`Package` records (from the catalogers of an image, or from an SBOM) and an open `VulnDB`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from dockopt.catalog.model import Package
from dockopt.findings import Category, Finding, Location, Severity
from dockopt.vuln.db import AffectedRow, RecordRow, VulnDB
from dockopt.vuln.ecosystems import lookups, scheme_for
from dockopt.vuln.ranges import PreparedRange, RangeHit, canonical_function, parse_events, prepare, range_scheme
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
        via_source = pkg.source_name and self.looked_up_name == pkg.source_name != pkg.name
        name = f"{pkg.name} (source {self.looked_up_name})" if via_source else pkg.name
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
        self.raw: dict[int, frozenset[str]] = {}
        self.ratings: dict[int, Rating] = {}

    def row(self, row: AffectedRow, scheme: str | None) -> tuple[list[PreparedRange], list[str]]:
        cached = self.rows.get(id(row))
        if cached is None:
            prepared: list[PreparedRange] = []
            problems: list[str] = []
            for raw in row.ranges:
                range_type = raw.get("type") or "ECOSYSTEM"
                walk_scheme = range_scheme(range_type, scheme)
                events = parse_events(raw.get("events"))
                if walk_scheme is None or not events:
                    continue
                try:
                    prepared.append(prepare(range_type, events, walk_scheme))
                except ValueError as exc:  # InvalidVersion, or any text a scheme cannot take
                    problems.append(f"{row.record_id}: {range_type} range skipped ({exc})")
            cached = (prepared, problems)
            self.rows[id(row)] = cached
        return cached

    def raw_versions(self, row: AffectedRow) -> frozenset[str]:
        cached = self.raw.get(id(row))
        if cached is None:
            cached = self.raw[id(row)] = frozenset(row.versions)
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


def match_packages(packages: Iterable[Package], db: VulnDB) -> MatchResult:
    """Every (package, record) pair where the record's affected ranges or version lists contain
    the package's version, sorted by severity. Duplicated packages are matched each."""
    result = MatchResult()
    prepared = _Prepared(db)
    notes: dict[str, None] = {}
    unknown_distros: set[str] = set()
    packages = list(packages)
    all_targets = [lookups(package) for package in packages]
    db.prefetch_affected((ecosystem, name) for targets in all_targets for ecosystem, name, _ in targets)
    found: list[tuple] = []
    groups: list[list[int]] = []  # per package: indexes into `found`
    for package, targets in zip(packages, all_targets):
        groups.append([])
        result.packages += 1
        if not targets and package.type in ("deb", "apk", "rpm"):
            unknown_distros.add(f"{package.distro_id or '?'} {package.distro_version or ''}".strip())
        matched_ids: set[str] = set()
        for ecosystem, name, version in targets:
            rows = db.affected(ecosystem, name)
            if not rows:
                continue
            target = _Target(package, ecosystem, version, notes)
            for row in rows:
                if row.record_id in matched_ids:
                    continue
                hit, by = target.test(row, prepared)
                if by is not None:
                    matched_ids.add(row.record_id)
                    groups[-1].append(len(found))
                    found.append((package, row, ecosystem, name, version, hit, by))
    db.prefetch_records(item[1].record_id for item in found)
    matches = [_make_match(prepared, *item) for item in found]
    matches = _borrow_alias_ratings(db, matches)
    result.matches = [merged for group in groups for merged in _merge_aliases([matches[i] for i in group])]
    result.notes.extend(notes)
    result.notes.extend(db.notes)
    for distro in sorted(unknown_distros):
        result.notes.append(f"no OSV ecosystem known for distro {distro!r}: its OS packages were not matched")
    result.matches.sort(key=lambda m: (-m.severity, m.package.name, m.record_id))
    return result


class _Target:
    """One package version looked up in one ecosystem: its parsed key per version scheme."""

    def __init__(self, package: Package, ecosystem: str, version: str, notes: dict[str, None]) -> None:
        self.package, self.ecosystem, self.version, self.notes = package, ecosystem, version, notes
        self.scheme = scheme_for(ecosystem)
        self.canonical = canonical_function(self.scheme)
        self.keys: dict[str, Any] = {}

    def key(self, scheme: str) -> Any:
        """The installed version's key under `scheme`, or _UNCOMPARABLE (noted once)."""
        if scheme not in self.keys:
            try:
                self.keys[scheme] = key_function(scheme)(self.version)
            except InvalidVersion as exc:
                self.notes.setdefault(f"{self.package.name} {self.version}: not comparable in {self.ecosystem} ({exc})")
                self.keys[scheme] = _UNCOMPARABLE
        return self.keys[scheme]

    def test(self, row: AffectedRow, prepared: _Prepared) -> tuple[RangeHit | None, str | None]:
        ranges, problems = prepared.row(row, self.scheme)
        for problem in problems:
            self.notes.setdefault(problem)
        for prepared_range in ranges:
            key = self.key(range_scheme(prepared_range.range_type, self.scheme))
            if key is not _UNCOMPARABLE:
                hit = prepared_range.hit(key)
                if hit:
                    return hit, "range"
        if not row.versions:
            return None, None
        # Explicit version lists mostly enumerate what the ranges say already: where there are
        # ranges, only the exact spelling is looked up (cheap); otherwise versions are compared
        # in their scheme's normal form.
        if ranges:
            listed = self.version in prepared.raw_versions(row)
        else:
            listed = self.canonical(self.version) in prepared.versions(row, self.canonical)
        return (None, "versions") if listed else (None, None)


_UNCOMPARABLE = object()


def _borrow_alias_ratings(db: VulnDB, matches: list[Match]) -> list[Match]:
    """An unrated record (GO-…, PYSEC-…, ALPINE-…) takes the CVSS score of a record it names as
    an alias (often the GHSA entry for the same flaw), when the database holds one."""
    unrated = [m for m in matches if m.cvss_score is None and m.severity_source.startswith("unrated")]
    if not unrated:
        return matches
    db.prefetch_records(alias for m in unrated for alias in m.aliases)
    borrowed: dict[str, Rating] = {}
    for m in unrated:
        if m.record_id in borrowed:
            continue
        for alias in m.aliases:
            try:
                other = db.record(alias)
            except KeyError:
                continue
            rating = rate(other.severity, None)
            if rating.score is not None:
                borrowed[m.record_id] = Rating(rating.severity, f"{rating.source}, from alias {alias}",
                                               rating.score, rating.vector)
                break
    if not borrowed:
        return matches
    return [replace(m, severity=r.severity, severity_source=r.source, cvss_score=r.score, cvss_vector=r.vector)
            if (r := borrowed.get(m.record_id)) and m.cvss_score is None and m.severity_source.startswith("unrated")
            else m for m in matches]


def _merge_aliases(matches: list[Match]) -> list[Match]:
    """One package matched by records that are aliases of each other (GO-2023-1 and the GHSA it
    names) is one vulnerability: keep the best-described record, list the others as aliases."""
    if len(matches) < 2:
        return matches
    parent = list(range(len(matches)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, match in enumerate(matches):
        for ident in match.vulnerability_ids:
            if ident in owner:
                parent[root(index)] = root(owner[ident])
            else:
                owner[ident] = index
    clusters: dict[int, list[Match]] = {}
    for index, match in enumerate(matches):
        clusters.setdefault(root(index), []).append(match)
    merged = []
    for cluster in clusters.values():
        if len(cluster) == 1:
            merged.append(cluster[0])
            continue
        best = min(cluster, key=lambda m: (m.cvss_score is None, m.fixed_version is None, m.record_id))
        others = [i for m in cluster for i in m.vulnerability_ids if i != best.record_id]
        merged.append(replace(best, aliases=tuple(dict.fromkeys([*best.aliases, *others]))))
    return merged


def _make_match(prepared: _Prepared, package: Package, row: AffectedRow, ecosystem: str, name: str,
                version: str, hit: RangeHit | None, by: str) -> Match:
    record = prepared.db.record(row.record_id)
    rating = prepared.rating(row, record)
    return Match(package=package, record_id=record.id, aliases=record.aliases, summary=record.summary,
                 ecosystem=ecosystem, looked_up_name=name, compared_version=version, matched_by=by, hit=hit,
                 severity=rating.severity, severity_source=rating.source, cvss_score=rating.score,
                 cvss_vector=rating.vector, references=record.references)
