"""Input *paths* that are hostile: a Dockerfile, .dockerignore, config, ignore file, baseline,
SBOM or OSV file that is a FIFO (would wait forever), a link to /dev/zero (would read until
memory runs out) or far too large; build contexts and record folders nested 1,500 levels
deep (RecursionError before); and `--fix` on a Dockerfile that is a symbolic link. Each hostile
case is exit 2 with one line, quickly, in bounded memory, and leaves its input as it was."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from tests.hostile import assert_clean_error, run_hostile, tree_state

DOCKERFILE = "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"



def make_hostile(path: Path, kind: str) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "huge":
        with open(path, "wb") as handle:  # sparse: 1 GiB that costs no disk
            handle.truncate(1 << 30)
    return path


KINDS = {"fifo": "is a FIFO, not a regular file", "dev-zero": "is a character device, not a regular file",
         "huge": "is too large"}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("command", ["lint", "context"])
def test_dockerfile_that_is_not_a_regular_file(tmp_path, kind, command):
    make_hostile(tmp_path / "Dockerfile", kind)
    before = tree_state(tmp_path)
    out = run_hostile(command, ".", cwd=tmp_path, timeout=60)
    if command == "context" and kind == "huge":
        assert_clean_error(out, match="Dockerfile .* is too large", max_rss_mb=150, max_seconds=20)
    else:
        assert_clean_error(out, match=f"Dockerfile .*{KINDS[kind]}", max_rss_mb=150, max_seconds=20)
    assert tree_state(tmp_path) == before


def test_dockerfile_over_the_cap_on_stdin(tmp_path):
    out = run_hostile("lint", "-", input=b"FROM scratch\n" + b"# x\n" * (5 << 20), timeout=60)
    assert_clean_error(out, match="standard input is too large", max_rss_mb=150, max_seconds=20)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_dockerignore_that_is_not_a_regular_file(tmp_path, kind):
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    make_hostile(tmp_path / ".dockerignore", kind)
    before = tree_state(tmp_path)
    for args in (("context", "."), ("context", "--fix", ".")):
        out = run_hostile(*args, cwd=tmp_path, timeout=60)
        assert_clean_error(out, match=f"ignore file .*{KINDS[kind]}", max_seconds=20)
    assert tree_state(tmp_path) == before


def input_cases(tmp_path: Path) -> dict[str, tuple[str, ...]]:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    hostile = str(tmp_path / "input")
    db = str(tmp_path / "osv.sqlite3")
    return {
        "config": ("lint", "--config", hostile, str(dockerfile)),
        "baseline": ("lint", "--baseline", hostile, str(dockerfile)),
        "sbom": ("scan", "--sbom", hostile, "--db", db),
        "ignore file": ("scan", "--sbom", str(Path(__file__).parent / "vuln/data/syft-debian-12.cdx.json"),
                        "--ignore-file", hostile, "--db", db),
        "OSV data": ("db", "import", "--db", db, hostile),
    }


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("what", ["config", "baseline", "sbom", "ignore file", "OSV data"])
def test_user_file_that_is_not_a_regular_file(tmp_path, kind, what):
    args = input_cases(tmp_path)[what]
    if what == "ignore file":  # scan needs a database to reach the ignore file
        record = tmp_path / "X-1.json"
        record.write_text(json.dumps({"id": "X-1", "modified": "2024-01-01T00:00:00Z"}))
        assert run_hostile("db", "import", "--db", str(tmp_path / "osv.sqlite3"), str(record)).returncode == 0
    make_hostile(tmp_path / "input", kind)
    before = tree_state(tmp_path)
    out = run_hostile(*args, cwd=tmp_path, timeout=60)
    assert_clean_error(out, match=rf"{what.replace('sbom', 'SBOM')} .*{KINDS[kind]}", max_rss_mb=200, max_seconds=30)
    assert tree_state(tmp_path) == before


# Depth: a tree 1,500 levels deep (Python's recursion limit is 1,000).

DEPTH = 1500


def remove_deep(top: Path) -> None:
    """Remove `top/d/d/…` without recursion (shutil.rmtree and pytest's cleanup of old
    temporary folders recurse, and fail at this depth): lift the inner tree one level, remove
    the now-shallow outer folder, repeat."""
    cur: Path | None = top
    n = 0
    while cur is not None and os.path.lexists(cur):
        lifted = None
        if os.path.isdir(cur / "d") and not os.path.islink(cur / "d"):
            lifted = top.parent / f".{top.name}.lifted{n}"
            os.rename(cur / "d", lifted)
        shutil.rmtree(cur)
        cur, n = lifted, n + 1


@pytest.fixture
def deep_root():
    """A folder outside pytest's temporary tree: pytest (here or in a concurrent session of the
    same user) removes old temporary trees with a recursive rmtree, which this depth breaks."""
    root = Path(tempfile.mkdtemp(prefix="dockopt-deep-"))
    yield root
    remove_deep(root / "d")
    remove_deep(root / "records" / "d")
    shutil.rmtree(root)


@pytest.fixture
def deep_tree():
    made: list[Path] = []

    def make(root: Path, leaf: str, content: str) -> str:
        """`root/d/d/…/d/leaf` DEPTH levels down, made one level at a time; its relative path."""
        made.append(root / "d")
        fd = os.open(root, os.O_RDONLY)
        try:
            for _ in range(DEPTH):
                os.mkdir("d", dir_fd=fd)
                inner = os.open("d", os.O_RDONLY, dir_fd=fd)
                os.close(fd)
                fd = inner
            with open(os.open(leaf, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
                handle.write(content)
        finally:
            os.close(fd)
        return "d/" * DEPTH + leaf

    yield make
    for top in made:
        remove_deep(top)


def test_deep_build_context_is_walked(deep_root, deep_tree):
    tmp_path = deep_root
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    leaf = deep_tree(tmp_path, "leaf.txt", "x")
    out = run_hostile("context", "--list", ".", cwd=tmp_path, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.stdout.splitlines() == ["Dockerfile", leaf]
    out = run_hostile("context", "--format", "json", ".", cwd=tmp_path, timeout=120)
    assert out.returncode in (0, 1) and "Traceback" not in out.stderr, out.stderr[-2000:]


def test_deep_tree_lint_finds_the_dockerfile_at_the_bottom(deep_root, deep_tree):
    tmp_path = deep_root
    leaf = deep_tree(tmp_path, "Dockerfile", DOCKERFILE)
    out = run_hostile("lint", "--format", "json", ".", cwd=tmp_path, timeout=120)
    assert out.returncode == 1, out.stderr[-2000:]
    assert json.loads(out.stdout)["files"] == [leaf]


def test_deep_folder_of_osv_records_is_imported(deep_root, deep_tree):
    tmp_path = deep_root
    records = tmp_path / "records"
    records.mkdir()
    deep_tree(records, "X-1.json", json.dumps({"id": "X-1", "modified": "2024-01-01T00:00:00Z"}))
    out = run_hostile("db", "import", "--db", str(tmp_path / "osv.sqlite3"), str(records), timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
    assert "1 record" in out.stderr + out.stdout


# --fix through a symbolic link: the target is rewritten (atomically, beside it), the link stays.

def test_fix_writes_through_a_symlinked_dockerfile(tmp_path):
    real = tmp_path / "docker" / "app.Dockerfile"
    real.parent.mkdir()
    real.write_text(DOCKERFILE)
    real.chmod(0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to(Path("docker") / "app.Dockerfile")
    out = run_hostile("lint", "--fix", "-q", "Dockerfile", cwd=tmp_path)
    assert out.returncode in (0, 1), out.stderr
    assert link.is_symlink() and os.readlink(link) == "docker/app.Dockerfile"
    fixed = real.read_text()
    assert fixed != DOCKERFILE and "--no-install-recommends" in fixed
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(os.listdir(real.parent)) == ["app.Dockerfile"] and sorted(os.listdir(tmp_path)) == ["Dockerfile", "docker"]


def test_context_fix_writes_through_a_symlinked_dockerignore(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY app.py /\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "shared.ignore").write_text("*.log\n")
    (tmp_path / ".dockerignore").symlink_to("shared.ignore")
    out = run_hostile("context", "--fix", ".", cwd=tmp_path)
    assert out.returncode in (0, 1), out.stderr
    assert (tmp_path / ".dockerignore").is_symlink()
    text = (tmp_path / "shared.ignore").read_text()
    assert text.startswith("*.log\n") and ".git" in text
