"""Progress bars: shown on a terminal while layers are read and digests verified; never when
stderr is piped or with --quiet, so logs and JSON stay clean."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

from tests.image.test_hostile import docker_archive, file_member, tar_bytes


def archive(tmp_path):
    layers = [tar_bytes([file_member(f"data/{i}/f{j}", os.urandom(4096)) for j in range(200)]) for i in range(3)]
    return docker_archive(tmp_path / "img.tar", layers)


def run_on_terminal(args: list[str]) -> tuple[int, str, bytes]:
    """Run dockopt with stderr on a pseudo-terminal; (exit code, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "dockopt", *args], stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=60)
    os.close(master)
    return code, out, seen


def test_terminal_shows_layer_and_digest_progress(tmp_path):
    code, out, seen = run_on_terminal(["analyze", "--format", "json", f"docker-archive:{archive(tmp_path)}"])
    assert code == 0 and out.startswith("{")
    assert b"layer " in seen and b"verifying digests" in seen


def test_quiet_and_piped_runs_show_none(tmp_path, dockopt):
    path = archive(tmp_path)
    code, out, seen = run_on_terminal(["analyze", "-q", "--format", "json", f"docker-archive:{path}"])
    assert code == 0 and out.startswith("{") and seen == b""
    piped = dockopt("analyze", "--format", "json", f"docker-archive:{path}")
    assert piped.returncode == 0 and piped.stderr == ""
