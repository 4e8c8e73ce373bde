"""The README's first command, `scripts/try.sh`, keeps working: it builds the playbook's examples
and shows lint with its fixes, the two download images' sizes, a package list and a prune plan."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.engine


def test_try_script_runs_the_playbook_examples(docker_client):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "try.sh")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "+RUN apt-get update && \\" in out  # lint --diff shows the merged, cleaned-up RUN
    assert "DO105" in out and "DO103" in out
    sizes = re.search(r"size: naive ([\d.]+) MB, multi-stage ([\d.]+) MB, saved ([\d.]+) MB", out)
    assert sizes, out[-3000:]
    naive, multi, saved = map(float, sizes.groups())
    assert naive > multi + 30 and abs(naive - multi - saved) < 0.2  # the archive and the deleted parts
    assert re.search(r"\bcurl\b.*\bdeb\b", out) and re.search(r"\bsocat\b", out)  # the package list
    assert "would be freed. Dry run: nothing removed" in out
    assert "dockopt-example/download:multistage" in out
    assert "bash scripts/testenv.sh clean" in out  # how to clean up
    for tag in ("apt:naive", "download:naive", "download:multistage"):
        docker_client.images.get(f"dockopt-example/{tag}")
        if os.environ.get("DOCKOPT_TEST_KEEP_IMAGES") != "1":
            docker_client.images.remove(f"dockopt-example/{tag}")
