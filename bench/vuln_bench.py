"""Benchmark: import the real OSV exports and match 10,000 packages against them.

    .venv/bin/python bench/vuln_bench.py [--data ../shared/data/osv] [--packages 10000]

Targets (issue 4): import >= 10,000 records/s; matching 10,000 packages < 1 s.

Two package mixes are matched. "image-like": 10% of the packages have a name with advisories
(most packages of a real image have none), "stress": 50%. Versions of those packages are drawn
from the versions their advisories name (event versions and explicit lists), so a large share
of them is affected, far more than in real images.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dockopt.catalog.model import Package
from dockopt.vuln.db import VulnDB
from dockopt.vuln.feeds import local_ecosystems, update
from dockopt.vuln.match import match_packages

TYPE_OF = {"PyPI": "python", "Go": "go", "crates.io": "cargo", "npm": "npm", "Maven": "java", "RubyGems": "gem"}


def sample_packages(db_path: Path, count: int, share: float = 0.5, seed: int = 7) -> list[Package]:
    rng = random.Random(seed)
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT ecosystem, name, ranges, versions FROM affected").fetchall()
    # One row per distinct package name (a name with 300 advisories is still one package).
    rows = list({(row[0], row[1]): row for row in rows}.values())
    conn.close()
    packages: list[Package] = []
    for ecosystem, name, ranges, versions in rng.sample(rows, min(len(rows), int(count * share))):
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
        started, cpu_started = time.perf_counter(), time.process_time()
        results = update(db_path, ecosystems, mirror=str(data))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        records = sum(r.records for r in results)
        withdrawn = sum(r.withdrawn for r in results)
        print(f"import: {records} records (+{withdrawn} withdrawn skipped) from {', '.join(ecosystems)} "
              f"in {elapsed:.2f} s wall ({cpu:.2f} s CPU) = {records / elapsed:,.0f} records/s "
              f"({records / cpu:,.0f} per CPU second) (target >= 10,000)")
        for mix, share in (("image-like", 0.1), ("stress", 0.5)):
            packages = sample_packages(db_path, args.packages, share)
            timings, cpu_times = [], []
            for _ in range(3):
                with VulnDB(db_path) as db:  # a fresh connection and fresh per-DB caches each time
                    started, cpu_started = time.perf_counter(), time.process_time()
                    result = match_packages(packages, db)
                    timings.append(time.perf_counter() - started)
                    cpu_times.append(time.process_time() - cpu_started)
            print(f"match {mix} ({share:.0%} with advisories): {len(packages)} packages -> "
                  f"{len(result.matches)} matches in {min(timings):.3f} s wall best of 3 "
                  f"({min(cpu_times):.3f} s CPU), {max(timings):.3f} s worst (target < 1 s)")
        # End to end: a CycloneDX SBOM of the image-like mix through the real command.
        packages = sample_packages(db_path, args.packages, 0.1)
        sbom = Path(tmp) / "sbom.cdx.json"
        sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
            {"type": "library", "name": p.name, "version": p.version, "purl": purl_of(p)} for p in packages]}))
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dockopt", "scan", "--sbom", str(sbom), "--db", str(db_path),
                               "--format", "json", "-o", str(Path(tmp) / "out.json")], capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        report = json.loads((Path(tmp) / "out.json").read_text())
        print(f"dockopt scan --sbom ({len(packages)} components, whole process): exit {done.returncode}, "
              f"{report['summary']['vulnerabilities']} vulnerabilities in {elapsed:.2f} s wall")
    return 0


def purl_of(package: Package) -> str:
    from packageurl import PackageURL

    kind = {"python": "pypi", "go": "golang", "cargo": "cargo"}[package.type]
    if kind == "golang" and "/" in package.name:
        namespace, _, name = package.name.rpartition("/")
        return PackageURL(type=kind, namespace=namespace, name=name, version=package.version).to_string()
    return PackageURL(type=kind, name=package.name, version=package.version).to_string()


if __name__ == "__main__":
    sys.exit(main())
