"""`.dockerignore` evaluation checked against the real engine.

Each context below packs many tricky cases. It is built with `COPY . /ctx` by the classic builder
(`DOCKER_BUILDKIT=0 docker build`: the CLI filters the context with Docker's rules) and by
BuildKit (`DOCKER_BUILDKIT=1 docker build`); the image's /ctx is read back from `docker export` and must
equal what dockopt says the build can see, in the matching dialect.
"""

from __future__ import annotations

import fcntl
import io
import os
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest

from dockopt.dockerfile.context import load_context
from tests.files import write_tree

pytestmark = pytest.mark.engine

LABEL = "dockopt.test"
BASE = "dockopt-test/busybox:latest"

# name -> (files, ignore text, extra setup)
TRICKY_IGNORE = """\
# a comment, then patterns Docker cleans and trims
# keep.txt
  trailing.txt   \t
a+b
**/*.log
!deep/er/important.log
./build
/abs.txt
docs/
!docs/sub/keep.md
file[0-9].dat
star\\*.txt
.*
!.keep
**/tmp
**/foo
!x/y/foo/keep
?.q
 # spaced
x/../cleaned.txt
cont/*
**qux
lnk-excl
spaced.txt
!  spaced.txt
dir1
!dir1/x
dir1
"""

TRICKY_FILES = [
    "keep.txt", "trailing.txt", "a+b", "aab", "ab",
    "x.log", "deep/er/y.log", "deep/er/important.log", "deep/z.txt",
    "build/out.bin", "sub/build/kept.bin", "abs.txt", "sub/abs.txt",
    "docs/a.md", "docs/sub/b.md", "docs/sub/keep.md",
    "file1.dat", "file2.dat", "fileA.dat", "star*.txt", "starx.txt",
    ".hidden", ".env", ".keep", "sub/.hidden",
    "tmp/a", "src/tmp/b", "src/tmpx/c",
    "x/y/foo/other", "x/y/foo/keep", "foo",
    "a.q", "ab.q", "# spaced", "cleaned.txt", "cont/a", "cont/b",
    "barqux", "qux", "spaced.txt", "dir1/x/f", "dir1/y",
]

ORDER_IGNORE = """\
*
!src
src/**/*.pyc
!src/keep.pyc
!**/README.md
!lib/*/keep.txt
"""

ORDER_FILES = [
    "README.md", "docs/README.md", "top.txt", "src/a.py", "src/a.pyc", "src/keep.pyc",
    "src/pkg/b.pyc", "src/pkg/README.md", "lib/one/keep.txt", "lib/one/drop.txt",
]


def _write(root: Path, files: list[str]) -> None:
    write_tree(root, {rel: f"content of {rel}\n" for rel in files})


def _tricky(root: Path) -> str:
    _write(root, TRICKY_FILES)
    (root / ".dockerignore").write_text(TRICKY_IGNORE)
    (root / "empty").mkdir()
    os.symlink("/etc", root / "link-to-etc")  # never followed
    os.symlink("keep.txt", root / "link-rel")
    os.symlink("keep.txt", root / "lnk-excl")
    (root / "Dockerfile").write_text(f"FROM {BASE}\nCOPY . /ctx\n")
    return "Dockerfile"


def _ordered(root: Path) -> str:
    _write(root, ORDER_FILES)
    (root / ".dockerignore").write_text(ORDER_IGNORE)
    (root / "Dockerfile").write_text(f"FROM {BASE}\nCOPY . /ctx\n")
    return "Dockerfile"


def _specific(root: Path) -> str:
    _write(root, ["a.txt", "b.txt", "c.txt"])
    (root / ".dockerignore").write_text("a.txt\n")
    (root / "sub").mkdir()
    (root / "sub/app.Dockerfile").write_text(f"FROM {BASE}\nCOPY . /ctx\n")
    (root / "sub/app.Dockerfile.dockerignore").write_text("b.txt\n.dockerignore\n")
    return "sub/app.Dockerfile"


CONTEXTS = {"tricky": _tricky, "ordered": _ordered, "specific": _specific}


def _lock():
    path = Path(os.environ.get("DOCKOPT_TESTENV_DIR", "/var/tmp/dockopt-testenv")) / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _image_paths(client, tag: str) -> set[str]:
    container = client.containers.create(tag, command="true", labels={LABEL: "1"})
    try:
        data = b"".join(container.export())
    finally:
        container.remove(force=True)
    out = set()
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            name = member.name.lstrip("./").rstrip("/")
            if name.startswith("ctx/"):
                out.add(name[4:])
    return out


@pytest.fixture(scope="session")
def engine_listings(docker_client, tmp_path_factory):
    """{(context, builder): (context dir, dockerfile, paths in the image)} for every case."""
    results = {}
    tags = []
    try:
        for name, make in CONTEXTS.items():
            root = tmp_path_factory.mktemp(f"ctx-{name}")
            dockerfile = make(root)
            for builder in ("classic", "buildkit"):
                tag = f"dockopt-test/context-{name}-{builder}:{uuid.uuid4().hex[:8]}"
                with _lock():
                    # The real Docker CLI for both builders: docker-py's classic path filters the
                    # context with its own (different) Python reimplementation of the rules.
                    proc = subprocess.run(
                        ["/usr/bin/docker", "build", "-q", "--label", f"{LABEL}=1", "-t", tag,
                         "-f", str(root / dockerfile), str(root)],
                        env={**os.environ, "DOCKER_BUILDKIT": "1" if builder == "buildkit" else "0"},
                        capture_output=True, text=True)
                    assert proc.returncode == 0, f"{builder} build of {name}: {proc.stderr[-2000:]}"
                tags.append(tag)
                results[(name, builder)] = (root, root / dockerfile, _image_paths(docker_client, tag))
        yield results
    finally:
        for tag in tags:
            try:
                docker_client.images.remove(tag)
            except Exception:
                pass


DIALECT_OF = {"classic": "legacy-classic", "buildkit": "legacy-buildkit"}


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
@pytest.mark.parametrize("name", list(CONTEXTS))
def test_dockopt_agrees_with_engine(engine_listings, name, builder):
    root, dockerfile, in_image = engine_listings[(name, builder)]
    context = load_context(root, dockerfile, DIALECT_OF[builder])
    predicted = context.visible_paths()
    assert predicted == in_image, (
        f"only dockopt: {sorted(predicted - in_image)}; only engine: {sorted(in_image - predicted)}"
    )


def test_engine_cases_have_teeth(engine_listings):
    """The contexts exercise real differences, so agreement above is not trivial."""
    classic = engine_listings[("tricky", "classic")][2]
    buildkit = engine_listings[("tricky", "buildkit")][2]
    for paths in (classic, buildkit):
        # Docker 20.10 passes `+` to the regexp: `a+b` hides aab and ab, not a+b
        assert not {"aab", "ab"} & paths and "a+b" in paths
        assert "barqux" in paths and "qux" not in paths  # `**qux` is `(.*/)?qux`
        assert "deep/er/important.log" in paths and "deep/er/y.log" not in paths
        assert "docs/sub/keep.md" in paths and "docs/a.md" not in paths
        assert "link-to-etc" in paths and "link-to-etc/passwd" not in paths  # links not followed
        assert "x/y/foo/other" in paths  # the single-parent rule of Docker 20.10
        assert "cont" in paths and "cont/a" not in paths
        assert "empty" in paths
        assert ".dockerignore" not in paths and ".keep" in paths
    ordered = engine_listings[("ordered", "buildkit")][2]
    assert "README.md" in ordered and "docs/README.md" not in ordered  # no descent for a ** exception
    # BuildKit on 20.10 sends an excluded directory it walks into; the classic builder does not
    assert "dir1/x" in buildkit and "dir1/x" not in classic
    assert "lib" in ordered and "lib" not in engine_listings[("ordered", "classic")][2]
    specific_classic = engine_listings[("specific", "classic")][2]
    specific_buildkit = engine_listings[("specific", "buildkit")][2]
    assert "a.txt" not in specific_classic and "b.txt" in specific_classic
    assert "a.txt" in specific_buildkit and "b.txt" not in specific_buildkit


def test_cli_list_matches_engine(engine_listings, dockopt):
    root, dockerfile, in_image = engine_listings[("tricky", "buildkit")]
    out = dockopt("context", str(root), "-f", str(dockerfile), "--dialect", "legacy-buildkit", "--list")
    assert out.returncode == 0, out.stderr
    listed = set(out.stdout.splitlines())
    image_non_dirs = {p for p in in_image if not (root / p).is_dir() or (root / p).is_symlink()}
    assert listed == image_non_dirs


def test_fixed_context_builds_without_the_suggested_files(docker_client, tmp_path, dockopt):
    """`--fix` on a messy project, then a real BuildKit build: the secrets and clutter are gone."""
    root = tmp_path / "messy"
    _write(root, ["app/main.py", "app/util.py", ".env", "deploy/id_rsa", ".git/HEAD", ".git/objects/ab",
                  "node_modules/x/index.js", "app/__pycache__/main.pyc", "server.log"])
    (root / ".dockerignore").write_text("# mine\n*.tmp\n")
    (root / "Dockerfile").write_text(f"FROM {BASE}\nCOPY . /ctx\n")
    out = dockopt("context", str(root), "--fix", "--dialect", "legacy-buildkit", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert (root / ".dockerignore").read_text().startswith("# mine\n*.tmp\n")
    tag = f"dockopt-test/context-fixed:{uuid.uuid4().hex[:8]}"
    with _lock():
        proc = subprocess.run(["/usr/bin/docker", "build", "-q", "--label", f"{LABEL}=1", "-t", tag, str(root)],
                              env={**os.environ, "DOCKER_BUILDKIT": "1"}, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    try:
        in_image = _image_paths(docker_client, tag)
    finally:
        docker_client.images.remove(tag)
    assert {"app/main.py", "app/util.py", "Dockerfile"} <= in_image
    for gone in (".env", "deploy/id_rsa", ".git", "node_modules", "app/__pycache__", "server.log"):
        assert gone not in in_image
    assert in_image == load_context(root, dialect="legacy-buildkit").visible_paths()
