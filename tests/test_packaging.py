"""dockopt installs like a Python tool: `python -m build` makes an sdist and a wheel (the wheel
built from the sdist, so the sdist is complete), and the wheel in a fresh venv puts a working
`dockopt` on PATH, package data included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

from tests.conftest import ROOT


def clean_env() -> dict[str, str]:
    """No PYTHONPATH or virtualenv of the test run leaks into the fresh venv."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def test_wheel_installs_in_a_fresh_venv_and_runs(tmp_path):
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    wheels = list(dist.glob("dockopt-*-py3-none-any.whl"))
    assert wheels and list(dist.glob("dockopt-*.tar.gz"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q",
                          "--disable-pip-version-check", str(wheels[0])], capture_output=True, text=True, timeout=600, env=clean_env())
    assert pip.returncode == 0, pip.stderr[-3000:]
    dockopt = env_dir / "bin" / "dockopt"
    assert dockopt.exists()  # the console script is on the venv's PATH
    version = subprocess.run([str(dockopt), "--version"], capture_output=True, text=True, cwd=tmp_path, env=clean_env())
    assert version.returncode == 0 and version.stdout.startswith("dockopt, version ")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM debian:bookworm\nRUN apt-get update\nRUN apt-get install -y curl\n")
    lint = subprocess.run([str(dockopt), "lint", "--format", "json", str(dockerfile)], capture_output=True, text=True,
                          cwd=tmp_path, env=clean_env())
    assert lint.returncode == 1, lint.stderr
    ids = {f["rule_id"] for f in json.loads(lint.stdout)["findings"]}
    assert {"DO101", "DO103"} <= ids
    # Package data ships: the disk/prune JSON schemas are read from the installed package.
    schema = subprocess.run([str(env_dir / "bin" / "python"), "-c",
                             "import importlib.resources as r; print(len((r.files('dockopt') / 'engine' / 'schemas' / "
                             "'disk.schema.json').read_text()))"], capture_output=True, text=True, cwd=tmp_path, env=clean_env())
    assert schema.returncode == 0 and int(schema.stdout) > 100, schema.stderr
    assert Path(subprocess.run([str(env_dir / "bin" / "python"), "-c", "import dockopt; print(dockopt.__file__)"],
                               capture_output=True, text=True, cwd=tmp_path, env=clean_env()).stdout.strip()).is_relative_to(env_dir)
