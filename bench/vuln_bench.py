"""Benchmark: import the real OSV exports and match 10,000 packages against them.

    .venv/bin/python bench/vuln_bench.py [--data ../shared/data/osv] [--packages 10000]

Targets (issue 4): import >= 10,000 records/s; matching 10,000 packages < 1 s.
The packages are half names that have advisories (with versions drawn from the advisories'
own events, so many of them match) and half names that do not, as in a real image.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from dockopt.catalog.model import Package
from dockopt.vuln.db import VulnDB
from dockopt.vuln.feeds import local_ecosystems, update
from dockopt.vuln.match import match_packages

TYPE_OF = {"PyPI": "python", "Go": "go", "crates.io": "cargo", "npm": "npm", "Maven": "java", "RubyGems": "gem"}


def sample_packages(db_path: Path, count: int, seed: int = 7) -> list[Package]:
    rng = random.Random(seed)
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT ecosystem, name, ranges, versions FROM affected").fetchall()
    conn.close()
    import json

    packages: list[Package] = []
    for ecosystem, name, ranges, versions in rng.sample(rows, min(len(rows), count // 2)):
        candidates = json.loads(versions)
        for r in json.loads(ranges):
            for event in r["events"]:
                candidates.extend(v for v in event.values() if v != "0")
        version = rng.choice(candidates) if candidates else "1.0.0"
        if ecosystem == "Go" and not version.startswith("v"):
            version = "v" + version
        packages.append(Package(name=name, version=version, type=TYPE_OF.get(ecosystem, "python")))
    while len(packages) < count:
        ecosystem = rng.choice(list(TYPE_OF)[:3])
        packages.append(Package(name=f"unrelated-package-{len(packages)}", version="1.2.3", type=TYPE_OF[ecosystem]))
    rng.shuffle(packages)
    return packages


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent.parent / "shared/data/osv"))
    parser.add_argument("--packages", type=int, default=10_000)
    args = parser.parse_args()
    data = Path(args.data)
    if not data.is_dir():
        data = Path("/work/shared/data/osv")
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "osv.sqlite3"
        ecosystems = local_ecosystems(str(data))
        started = time.perf_counter()
        results = update(db_path, ecosystems, mirror=str(data))
        elapsed = time.perf_counter() - started
        records = sum(r.records for r in results)
        withdrawn = sum(r.withdrawn for r in results)
        print(f"import: {records} records (+{withdrawn} withdrawn skipped) from {', '.join(ecosystems)} "
              f"in {elapsed:.2f} s = {records / elapsed:,.0f} records/s (target >= 10,000)")
        packages = sample_packages(db_path, args.packages)
        for attempt in ("cold", "warm"):
            with VulnDB(db_path) as db:
                started = time.perf_counter()
                result = match_packages(packages, db)
                elapsed = time.perf_counter() - started
            print(f"match ({attempt} process caches): {len(packages)} packages -> {len(result.matches)} matches, "
                  f"{len(result.notes)} notes in {elapsed:.3f} s (target < 1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
