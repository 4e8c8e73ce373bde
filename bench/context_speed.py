"""Time `dockopt context` on a generated project (run by hand).

    .venv/bin/python bench/context_speed.py [FILES]

Builds a tree of FILES files (default 100,000) that looks like a JavaScript + Python project
(node_modules, .git objects, a virtualenv, sources) with a realistic `.dockerignore`, then
times `dockopt context --format json` on it, with and without the ignore file.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(root: Path, total: int) -> None:
    rng = random.Random(7)
    (root / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
                                     "COPY src/ /app/src/\n")
    (root / "requirements.txt").write_text("click\n")
    areas = [("node_modules", 0.55), (".git/objects", 0.15), (".venv/lib/python3.12/site-packages", 0.15),
             ("src", 0.1), ("docs", 0.05)]
    made = 0
    for area, share in areas:
        for i in range(int(total * share)):
            folder = root / area / f"pkg{i % 300}" / f"d{i % 7}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{i}.js").write_bytes(os.urandom(rng.randint(10, 3000)))
            made += 1
    (root / ".venv/pyvenv.cfg").write_text("home = /usr/bin\n")


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    root = Path(tempfile.mkdtemp(prefix="dockopt-ctx-bench-"))
    try:
        build(root, total)
        for label, ignore in (("no .dockerignore", None), ("with .dockerignore", ".git\nnode_modules\n.venv\n!node_modules/pkg1/d1\n")):
            if ignore is None:
                (root / ".dockerignore").unlink(missing_ok=True)
            else:
                (root / ".dockerignore").write_text(ignore)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "dockopt", "context", str(root), "--format", "json",
                                   "--fail-on", "none"], capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            assert proc.returncode == 0, proc.stderr
            print(f"{total} files, {label}: {elapsed:.2f} s")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
