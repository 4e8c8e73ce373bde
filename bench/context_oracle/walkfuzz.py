"""Differential fuzz of dockopt's context walk against Docker 20.10's own walkers.

    apt-get install golang-go golang-github-moby-patternmatcher-dev \\
        golang-github-docker-docker-dev golang-github-tonistiigi-fsutil-dev
    cd bench/context_oracle
    GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/pm-oracle .
    ../../.venv/bin/python walkfuzz.py /tmp/pm-oracle 2000

Random trees are written to disk with random `.dockerignore` patterns; every path dockopt says
is sent (directories included) must be what BuildKit's sender (`fsutil.Walk`, dialect
`legacy-buildkit`) and the classic builder's tar (`pkg/archive`, dialect `legacy-classic`) send.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dockopt.dockerfile.context import load_context
from dockopt.dockerfile.dockerignore import IgnorePatternError, read_ignore_lines

NAMES = ["a", "b", "c", "ab", "a.txt", "b.log", "keep", "foo", ".env", "node_modules"]
PIECES = ["a", "b", "c", "ab", "*", "**", "?", "[ab]", "*.txt", "*.log", "keep", "foo", ".env",
          "node_modules", "a/b", "./a", "/b"]


def make_tree(root: Path, rng: random.Random) -> None:
    (root / "Dockerfile").write_text("FROM scratch\n")
    for _ in range(rng.randint(1, 10)):
        parts = [rng.choice(NAMES) for _ in range(rng.randint(1, 4))]
        target = root.joinpath(*parts)
        try:
            if rng.random() < 0.25:
                target.mkdir(parents=True, exist_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                if rng.random() < 0.1:
                    os.symlink("a", target)
                else:
                    target.write_text("x")
        except OSError:  # a name already used by a file, dir or link
            pass


def make_patterns(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 5)):
        text = "/".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.35:
            text = "!" + text
        lines.append(text)
    return "\n".join(lines) + "\n"


def main() -> None:
    oracle, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500
    rng = random.Random(99)
    base = Path(tempfile.mkdtemp(prefix="dockopt-walkfuzz-"))
    try:
        cases = []
        for index in range(count):
            root = base / str(index)
            root.mkdir()
            make_tree(root, rng)
            text = make_patterns(rng)
            (root / ".dockerignore").write_text(text)
            cases.append((root, text))
        payload = [{"dir": str(root), "patterns": [p for _, p in read_ignore_lines(text)]} for root, text in cases]
        disagreements = compared = 0
        outputs = {}
        for mode, dialect in (("-walk-fsutil", "legacy-buildkit"), ("-walk-archive", "legacy-classic")):
            proc = subprocess.run([oracle, mode], input=json.dumps(payload), capture_output=True, text=True,
                                  check=True)
            outputs[mode] = json.loads(proc.stdout)
            for (root, text), expected in zip(cases, outputs[mode]):
                try:
                    got = sorted(e.path for e in load_context(root, dialect=dialect).entries)
                except IgnorePatternError as exc:
                    if not expected.get("error"):
                        disagreements += 1
                        print("ERROR ONLY IN DOCKOPT", dialect, repr(text), exc)
                    continue
                compared += 1
                if expected.get("error"):
                    disagreements += 1
                    print("ERROR ONLY IN DOCKER", dialect, repr(text), expected["error"])
                elif got != sorted(expected["paths"] or []):
                    disagreements += 1
                    want = set(expected["paths"] or [])
                    print("MISMATCH", dialect, repr(text), "only dockopt:", sorted(set(got) - want),
                          "only docker:", sorted(want - set(got)))
        differ = sum(a != b for a, b in zip(outputs["-walk-fsutil"], outputs["-walk-archive"]))
        pruned = sum(1 for (root, _), out in zip(cases, outputs["-walk-archive"])
                     if len(out["paths"] or []) < sum(1 for _ in root.rglob("*")))
        print(f"{count} random contexts x 2 walkers ({pruned} with something ignored, {differ} where the "
              f"two walkers disagree), {compared} walks compared, {disagreements} disagreements with dockopt")
        sys.exit(1 if disagreements else 0)
    finally:
        shutil.rmtree(base)


if __name__ == "__main__":
    main()
