"""scripts/testenv.sh: a failing `up` stops at once with one line and exit 2; `down` treats
zombies as stopped; `clean` stops what `up` started and removes its state and cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "testenv.sh"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKOPT_TESTENV_STARTED")}
    env.update(DOCKOPT_TESTENV_DIR=str(tmp_path / "state"), DOCKOPT_TESTENV_CACHE=str(tmp_path / "cache"),
               DOCKER_HOST=f"unix://{tmp_path}/nothing-here.sock", **extra)
    return env


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop to nobody")
def test_up_as_non_root_fails_at_once_with_one_line():
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="dockopt-testenv-"))  # outside pytest's root-only folder
    tmp_path.chmod(0o777)
    if os.path.exists("/var/run/docker.sock"):
        pytest.skip("an engine on the default socket would be used as it is")
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c",
           f'env_lines=$(bash {SCRIPT} up --minimal) || exit 2; eval "$env_lines"; echo reached']
    proc = subprocess.run(cmd, env=env_for(tmp_path, HOME=str(tmp_path)), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "reached" not in proc.stdout and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("testenv: must run as root to"), proc.stderr
    shutil.rmtree(tmp_path)


def test_up_with_an_unwritable_state_dir_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = subprocess.run(["bash", str(SCRIPT), "up"], env={**env_for(tmp_path), "DOCKOPT_TESTENV_DIR": str(blocker / "x")},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"testenv: cannot create {blocker}/x; set DOCKOPT_TESTENV_DIR to a "
                                                "writable folder"]


def test_down_does_not_wait_for_a_zombie(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    # A parent that never reaps its exited child: the child stays a zombie while the parent lives.
    parent = subprocess.Popen(["python3", "-c", "import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\n"
                               "print(pid, flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        zombie = int(parent.stdout.readline())
        for _ in range(50):
            if "State:\tZ" in Path(f"/proc/{zombie}/status").read_text():
                break
            time.sleep(0.05)
        (state / "dockerd.started").write_text(f"{zombie}\n")
        started = time.monotonic()
        proc = subprocess.run(["bash", str(SCRIPT), "down"], env=env_for(tmp_path, DOCKOPT_TESTENV_STARTED="engine"),
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert time.monotonic() - started < 10
        assert not (state / "dockerd.started").exists()
    finally:
        parent.kill()
        parent.wait()


def test_clean_stops_what_up_started_and_removes_state_and_cache(tmp_path):
    state, cache = tmp_path / "state", tmp_path / "cache"
    (state / "data").mkdir(parents=True)
    (state / "data" / "layer").write_bytes(b"x" * 1000)
    cache.mkdir()
    (cache / "bookworm-minbase.tar").write_bytes(b"y" * 1000)
    sleeper = subprocess.Popen(["sleep", "300"])
    (state / "registry.started").write_text(f"{sleeper.pid}\n")
    try:
        proc = subprocess.run(["bash", str(SCRIPT), "clean"], env=env_for(tmp_path), capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert sleeper.wait(timeout=10) is not None  # stopped
        assert not state.exists() and not cache.exists()
        assert "removing" in proc.stderr
    finally:
        if sleeper.poll() is None:
            sleeper.kill()


def test_usage_lists_every_subcommand(tmp_path):
    proc = subprocess.run(["bash", str(SCRIPT), "bogus"], env=env_for(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 2 and "up [--minimal]|down|env|clean" in proc.stderr
