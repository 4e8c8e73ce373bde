"""Running the real CLI on hostile input: exit code, stderr lines, peak memory, wall time.

Every hostile-input test asserts the same contract through `assert_clean_error`: exit 2, exactly
one line on stderr, no traceback, peak RSS of the child under a bound, finished within a time
bound. The child also runs under an address-space limit, so a regression fails the test rather
than exhausting the machine.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class HostileRun:
    returncode: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_hostile(*args: str, cwd: str | Path | None = None, input: bytes | str | None = None,
                env: dict[str, str] | None = None, timeout: float = 120,
                address_space_mb: int = 4096, stdout=subprocess.PIPE, file_size_limit: int = -1,
                close_stdout: bool = False) -> HostileRun:
    """Run `python -m dockopt ARGS` under a small parent that reports the child's peak RSS.
    `file_size_limit` (bytes) makes larger writes fail with EFBIG; `close_stdout` starts the
    child with descriptor 1 closed (`>&-`)."""
    data = input.encode() if isinstance(input, str) else input
    with tempfile.NamedTemporaryFile("r", prefix="dockopt-rss-", suffix=".txt") as report:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, report.name, str(address_space_mb), str(file_size_limit),
             str(int(close_stdout)), sys.executable, "-m", "dockopt", *args],
            cwd=cwd, env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL, stdout=stdout,
            stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise AssertionError(f"dockopt {' '.join(args)[:200]} did not finish within {timeout} s") from None
        seconds = time.monotonic() - started
        rss_kb = int(report.read().strip() or 0)
    return HostileRun(proc.returncode, (out or b"").decode("utf-8", "replace"),
                      err.decode("utf-8", "replace"), rss_kb / 1024, seconds)


# The parent: limit the child's address space (and file size), wait4 for it, write its peak RSS (KiB), pass its
# exit status on (a signal becomes 128 + signal number, as a shell reports it).
_MEASURE = """
import os, resource, sys
report, cap, fsize, close_stdout = sys.argv[1], int(sys.argv[2]) << 20, int(sys.argv[3]), sys.argv[4] == "1"
argv = sys.argv[5:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if fsize >= 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    if close_stdout:
        os.close(1)
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as handle:
    handle.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
"""


def assert_clean_error(run: HostileRun, match: str | None = None, max_rss_mb: float = 300,
                       max_seconds: float | None = None) -> None:
    """Exit 2, one stderr line (optionally matching `match`), no traceback, bounded RSS/time."""
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:], run.stdout[-500:])
    assert len(run.stderr_lines) == 1, run.stderr[-3000:]
    if match is not None:
        assert re.search(match, run.stderr_lines[0]), run.stderr_lines[0]
    assert 0 < run.peak_rss_mb <= max_rss_mb, f"peak RSS {run.peak_rss_mb:.0f} MB"
    if max_seconds is not None:
        assert run.seconds <= max_seconds, f"took {run.seconds:.1f} s"


def tree_state(root: Path) -> dict[str, tuple]:
    """Type, size, mtime and link target of everything under `root` (links not followed): equal
    before and after a run means the run modified and replaced nothing there."""
    import stat

    state = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            link = os.readlink(path) if stat.S_ISLNK(info.st_mode) else None
            state[os.path.relpath(path, root)] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns, link)
    return state
