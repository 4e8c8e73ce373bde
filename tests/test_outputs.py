"""Output targets: what `-o` (and `--fix`, baselines, the database) names is written the way
its type asks for, never replaced when it is not a regular file, and every write error is one
line with exit 2. Device nodes are made here with mknod (needs root, as in CI)."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dockopt.errors import OutputError
from dockopt.outfile import write_output
from tests.hostile import assert_clean_error, run_hostile

DOCKERFILE = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root (CI runs as root)")


@pytest.fixture
def dockerfile(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE)
    return path


def char_device(path: Path, major: int, minor: int) -> Path:
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    return path


def assert_device(path: Path, major: int, minor: int) -> None:
    info = os.lstat(path)
    assert stat.S_ISCHR(info.st_mode), f"{path} is no longer a character device"
    assert (os.major(info.st_rdev), os.minor(info.st_rdev)) == (major, minor)


def leftovers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def report_of(dockerfile: Path) -> str:
    out = run_hostile("lint", "--format", "json", str(dockerfile))
    assert out.returncode == 1, out.stderr
    return out.stdout


@needs_root
def test_dev_null_stays_a_device(tmp_path, dockerfile):
    null = char_device(tmp_path / "null", 1, 3)
    out = run_hostile("lint", "-o", str(null), str(dockerfile))
    assert out.returncode == 1 and out.stdout == "", out.stderr
    assert_device(null, 1, 3)
    assert leftovers(tmp_path) == []


@needs_root
def test_dev_full_is_one_line_and_stays_a_device(tmp_path, dockerfile):
    full = char_device(tmp_path / "full", 1, 7)
    out = run_hostile("lint", "-o", str(full), str(dockerfile))
    assert_clean_error(out, match=r"cannot write .*full: No space left on device", max_seconds=30)
    assert_device(full, 1, 7)
    assert leftovers(tmp_path) == []


@needs_root
def test_symlink_to_a_device_writes_the_device(tmp_path, dockerfile):
    null = char_device(tmp_path / "null", 1, 3)
    (tmp_path / "report").symlink_to(null)
    out = run_hostile("analyze", "-o", str(tmp_path / "report"), "docker-archive:/nonexistent.tar")
    assert_clean_error(out, match="cannot open")
    out = run_hostile("lint", "-o", str(tmp_path / "report"), str(dockerfile))
    assert out.returncode == 1, out.stderr
    assert (tmp_path / "report").is_symlink()
    assert_device(null, 1, 3)


def test_fifo_is_written_in_place(tmp_path, dockerfile):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader is there before dockopt opens
    received = bytearray()

    def drain() -> None:
        poll = select.poll()
        poll.register(reader, select.POLLIN)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not poll.poll(1000):
                continue
            chunk = os.read(reader, 1 << 16)
            if not chunk and received:
                return  # the writer closed its end
            received.extend(chunk)

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        out = run_hostile("lint", "--format", "json", "-o", str(fifo), str(dockerfile))
        thread.join(60)
    finally:
        os.close(reader)
    assert out.returncode == 1, out.stderr
    assert received.decode() == report_of(dockerfile)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_fifo_nobody_reads_is_one_line_not_a_wait(tmp_path, dockerfile):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    out = run_hostile("lint", "-o", str(fifo), str(dockerfile), timeout=30)
    assert_clean_error(out, match="no process is reading", max_seconds=20)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_symlink_target_is_replaced_and_the_link_kept(tmp_path, dockerfile):
    real = tmp_path / "reports" / "lint.json"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(Path("reports") / "lint.json")
    out = run_hostile("lint", "--format", "json", "-o", str(link), str(dockerfile))
    assert out.returncode == 1, out.stderr
    assert link.is_symlink() and os.readlink(link) == "reports/lint.json"
    assert real.read_text() == report_of(dockerfile)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(real.parent) == []


def test_dangling_symlink_creates_its_target(tmp_path, dockerfile):
    link = tmp_path / "out.json"
    link.symlink_to("made.json")
    out = run_hostile("lint", "--format", "json", "-o", str(link), str(dockerfile))
    assert out.returncode == 1, out.stderr
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == report_of(dockerfile)


def test_dash_is_stdout(tmp_path, dockerfile):
    out = run_hostile("lint", "--format", "json", "-o", "-", str(dockerfile), cwd=tmp_path)
    assert out.returncode == 1 and out.stdout == report_of(dockerfile)
    assert not (tmp_path / "-").exists()


def test_dev_stdout_writes_through_the_descriptor(tmp_path, dockerfile):
    """`-o /dev/stdout` with stdout redirected to a file: the report lands in that file, which
    is the same file (not replaced by a rename that the shell's descriptor would not see).
    The link is our own (`/dev/stdout` is one to /proc/self/fd/1): a regression replaces it,
    not the machine's /dev/stdout."""
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")
    target = tmp_path / "captured.json"
    with open(target, "wb") as handle:
        before = os.fstat(handle.fileno()).st_ino
        out = run_hostile("lint", "--format", "json", "-o", str(stdout_link), str(dockerfile), stdout=handle)
    assert out.returncode == 1, out.stderr
    assert stdout_link.is_symlink()
    assert target.stat().st_ino == before
    assert target.read_text() == report_of(dockerfile)


def test_too_large_for_the_file_size_limit_keeps_the_old_file(tmp_path, dockerfile):
    """EFBIG (RLIMIT_FSIZE) during the atomic write: one line, and the old report is intact."""
    target = tmp_path / "report.json"
    target.write_text("previous report\n")
    out = run_hostile("lint", "--format", "json", "-o", str(target), str(dockerfile), file_size_limit=200)
    assert_clean_error(out, match="cannot write .*report.json: File too large")
    assert target.read_text() == "previous report\n"
    assert leftovers(tmp_path) == []


def test_directory_as_output_is_refused(tmp_path):
    # The CLI's options refuse a directory already (click's dir_okay=False); the writer itself
    # refuses one too, for the writers without such an option (the database, --fix).
    with pytest.raises(OutputError, match="is a directory"):
        write_output("x", tmp_path)
    assert sorted(os.listdir(tmp_path)) == []


@needs_root
def test_database_on_a_device_is_refused(tmp_path):
    null = char_device(tmp_path / "null", 1, 3)
    record = tmp_path / "X-1.json"
    record.write_text('{"id": "X-1", "modified": "2024-01-01T00:00:00Z"}')
    out = run_hostile("db", "import", "--db", str(null), str(record))
    assert_clean_error(out, match="not a regular file")
    assert_device(null, 1, 3)


def test_database_through_a_symlink_keeps_the_link(tmp_path):
    record = tmp_path / "X-1.json"
    record.write_text('{"id": "X-1", "modified": "2024-01-01T00:00:00Z"}')
    (tmp_path / "store").mkdir()
    link = tmp_path / "osv.sqlite3"
    link.symlink_to("store/real.sqlite3")
    out = run_hostile("db", "import", "--db", str(link), str(record))
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and (tmp_path / "store" / "real.sqlite3").stat().st_size > 0


# Standard output itself: closed, full, or a reader that goes away.

def test_stdout_closed_is_one_line(tmp_path, dockerfile):
    out = run_hostile("lint", str(dockerfile), close_stdout=True)
    assert_clean_error(out, match="standard output is closed")


def test_stdout_closed_with_o_file_still_writes_the_file(tmp_path, dockerfile):
    target = tmp_path / "report.json"
    out = run_hostile("lint", "--format", "json", "-o", str(target), str(dockerfile), close_stdout=True)
    assert out.returncode == 1 and out.stderr_lines == [], out.stderr
    assert target.read_text() == report_of(dockerfile)


@needs_root
def test_stdout_on_a_full_device_is_one_line(tmp_path, dockerfile):
    full = char_device(tmp_path / "full", 1, 7)
    with open(full, "wb") as handle:
        out = run_hostile("lint", str(dockerfile), stdout=handle)
    assert_clean_error(out, match="cannot write standard output: No space left on device")


def test_broken_pipe_is_quiet_with_status_141(tmp_path):
    """`dockopt lint … | head -1`: the reader leaves after one line; dockopt stops quietly
    with the status a shell reports for a tool SIGPIPE ended (not 1, the findings status)."""
    big = tmp_path / "Dockerfile"
    big.write_text("FROM debian:12\n" + "".join(f"RUN apt-get install -y pkg{i}\n" for i in range(3000)))
    proc = subprocess.Popen([sys.executable, "-m", "dockopt", "lint", str(big)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(60) == 141, err
    assert first.startswith(str(big).encode()) and err == b""
