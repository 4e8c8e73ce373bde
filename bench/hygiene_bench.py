"""What the image checks cost on top of the one pass: CPU seconds of `dockopt analyze` with
`--checks waste` (the pass alone) versus all checks, on images from the local engine.

Run by hand (not a test): `python bench/hygiene_bench.py docker:IMAGE [docker:IMAGE …] [--runs 3]`.
CPU time (user+sys of the child) is reported because wall time on a shared machine mostly
measures the engine's export stream and the neighbours.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections import Counter


def run(ref: str, checks: str) -> tuple[float, dict]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-m", "dockopt", "analyze", "-q", "--checks", checks,
                               "--format", "json", "-o", out.name, ref], capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{ref}: {proc.stderr.strip()}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return cpu, json.load(open(out.name))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("refs", nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    for ref in args.refs:
        times: dict[str, list[float]] = {"waste": [], "all": []}
        doc: dict = {}
        for _ in range(args.runs):
            for checks in ("waste", "all"):
                cpu, result = run(ref, checks)
                times[checks].append(cpu)
                if checks == "all":
                    doc = result
        base, full = min(times["waste"]), min(times["all"])
        severities = Counter(f["severity"] for f in doc.get("findings", []))
        print(f"{ref}: files {doc['summary']['final_files']}, stored {doc['summary']['total_bytes'] / 1e6:.1f} MB; "
              f"cpu waste-only {base:.2f}s, all checks {full:.2f}s (+{(full - base) / base:.0%}); "
              f"findings {dict(severities)}")


if __name__ == "__main__":
    main()
