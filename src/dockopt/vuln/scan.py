"""One vulnerability scan, independent of where the packages came from: match, drop what has no
fix (on request), apply ignore rules, note stale data. `dockopt scan --sbom` and, with the
catalogers, `dockopt scan IMAGE` (and later the HTTP service) all call `scan_packages`."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from dockopt.catalog.model import Package
from dockopt.vuln import ignore as ignores
from dockopt.vuln.db import VulnDB, feed_age, feed_is_stale
from dockopt.vuln.match import match_packages
from dockopt.vuln.report import ScanReport


def scan_packages(packages: Sequence[Package], db_path: Path, *, target: str, only_fixed: bool = False,
                  rules: Sequence[ignores.IgnoreRule] = (), notes: Sequence[str] = ()) -> ScanReport:
    with VulnDB(db_path) as store:
        result = match_packages(packages, store)
        feeds = store.feeds()
    all_notes = list(notes) + result.notes
    matches = result.matches
    if only_fixed:
        matches = [m for m in matches if m.fixed_version]
    matches, ignored, ignore_notes = ignores.apply(matches, list(rules))
    all_notes += ignore_notes
    now = datetime.now(timezone.utc)
    stale = sorted((feed for feed in feeds if feed_is_stale(feed.as_of, now)), key=lambda f: f.as_of or "")
    if stale:
        named = ", ".join(f"{feed.name} {feed_age(feed.as_of, now)}" for feed in stale[:3])
        more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
        all_notes.append(f"vulnerability data is old ({named}{more}); run `dockopt db update`")
    return ScanReport(target=target, packages=len(packages), matches=matches, ignored=ignored, notes=all_notes,
                      db_path=str(db_path), feeds=feeds, package_list=list(packages))
