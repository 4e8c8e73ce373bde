"""`dockopt context`: walk, reachability, suggestions, --fix, output formats and errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockopt.dockerfile.context import load_context
from dockopt.dockerfile.context_advice import FIX_HEADER, fix_ignore_file, suggest
from dockopt.dockerfile.context_refs import context_references
from tests.files import write_tree


def make(root: Path, files: dict[str, str | bytes], dockerfile: str = "FROM scratch\nCOPY . /app\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    write_tree(root, files)
    return root


def project(tmp_path: Path) -> Path:
    return make(tmp_path / "proj", {
        "app/main.py": "print(1)\n",
        "app/__pycache__/main.cpython-311.pyc": b"\0" * 700,
        "node_modules/left-pad/index.js": "x" * 5000,
        "web/node_modules/react/index.js": "y" * 3000,
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/objects/pack/p.pack": b"\1" * 20000,
        ".venv/pyvenv.cfg": "home = /usr/bin\n",
        ".venv/lib/site.py": "z" * 4000,
        ".env": "TOKEN=secret\n",
        ".env.example": "TOKEN=\n",
        "deploy/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        "deploy/id_rsa.pub": "ssh-ed25519 AAAA\n",
        "server.log": "log\n" * 100,
        "dist/app.whl": b"\2" * 1500,
        "docs/guide.md": "# guide\n",
        "requirements.txt": "click\n",
        "pyproject.toml": "[project]\nname = 'x'\n",
        ".env.local": "TOKEN=local\n",
        ".npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
        "build/helper.sh": "echo not an output\n",
        "src/target/keep.py": "x = 1\n",
    })


def test_walk_counts_and_symlinks_not_followed(tmp_path):
    root = make(tmp_path / "c", {"a/b.txt": "12345", "c.bin": b"\0" * 100})
    os.symlink("/etc", root / "etc-link")
    ctx = load_context(root)
    paths = {e.path: e for e in ctx.entries}
    assert paths["etc-link"].kind == "symlink" and paths["etc-link"].size == len("/etc")
    assert not any(p.startswith("etc-link/") for p in paths)
    assert ctx.total_bytes == 5 + 100 + len("/etc") + len("FROM scratch\nCOPY . /app\n")
    assert {e.path for e in ctx.files} == {"a/b.txt", "c.bin", "etc-link", "Dockerfile"}


def test_excluded_directory_is_pruned_unless_an_exception_reaches_below(tmp_path):
    root = make(tmp_path / "c", {"big/a": "a", "big/keep/b": "b", "other/c": "c"})
    (root / ".dockerignore").write_text("big\nother\n!big/keep\n")
    ctx = load_context(root)
    assert {e.path for e in ctx.files} == {"big/keep/b", "Dockerfile", ".dockerignore"}


def test_dockerfile_specific_ignore_file_takes_precedence(tmp_path):
    root = make(tmp_path / "c", {"a.txt": "a", "b.txt": "b"})
    (root / ".dockerignore").write_text("a.txt\n")
    (root / "Dockerfile.dockerignore").write_text("b.txt\n")
    names = {e.path for e in load_context(root).files}
    assert "a.txt" in names and "b.txt" not in names
    classic = {e.path for e in load_context(root, dialect="legacy-classic").files}
    assert "a.txt" not in classic and "b.txt" in classic


def test_references_copy_add_mounts_and_variables():
    refs = context_references(
        "ARG SRC=app\nFROM x AS build\nARG SRC=app\nCOPY --chown=1 ${SRC}/ /a/\n"
        "ADD https://example.com/x.tgz /x\nCOPY --from=other /bin /bin\n"
        "COPY [\"conf/*.yml\", \"/etc/\"]\n"
        "COPY <<EOF /etc/motd\nhello\nEOF\n"
        "RUN --mount=type=bind,source=requirements.txt,target=/r pip install -r /r\n"
        "RUN --mount=type=cache,target=/root/.cache true\n"
    )
    assert not refs.whole_context
    assert sorted(refs.sources) == ["app", "conf/*.yml", "requirements.txt"]
    assert refs.reaches("app/x/y.py") and refs.reaches("conf/a.yml") and not refs.reaches("conf/sub/a.yml")
    assert not refs.reaches("docs/a.md") and not refs.reaches("bin/x")
    assert context_references("FROM x\nCOPY $UNKNOWN /x\n").whole_context
    assert context_references("FROM x\nRUN --mount=target=/src make\n").whole_context
    assert context_references("FROM x\nCOPY ./ /src\n").whole_context


def test_suggestions_cover_the_usual_suspects(tmp_path):
    root = project(tmp_path)
    ctx = load_context(root)
    found = {s.pattern: s for s in suggest(ctx, context_references((root / "Dockerfile").read_text()))}
    assert set(found) == {".git", "node_modules", "**/node_modules", ".venv", "**/__pycache__", ".env",
                          ".env.local", "**/id_rsa", "**/*.log", "dist", "build"}
    # `src/target` is not at the top; `.npmrc` is often needed by `npm ci`: never suggested
    assert found[".git"].bytes == 20000 + len("ref: refs/heads/main\n") and found[".git"].files == 2
    assert found["node_modules"].bytes == 5000
    assert found[".env"].severity.name == "HIGH" and found[".env"].files == 1  # .env.example kept
    assert found["**/id_rsa"].examples == ["deploy/id_rsa"]


def test_suggestions_respect_explicit_copies_and_user_exceptions(tmp_path):
    root = project(tmp_path)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY dist/ /wheels/\nCOPY . /app\n")
    (root / ".dockerignore").write_text("!.env\n")
    ctx = load_context(root)
    patterns = {s.pattern for s in suggest(ctx, context_references((root / "Dockerfile").read_text()))}
    assert "dist" not in patterns and ".env" not in patterns and ".git" in patterns


def test_fix_appends_keeps_user_lines_and_is_idempotent(tmp_path, dockopt):
    root = project(tmp_path)
    user = "# mine\r\n*.tmp\r\n!keep.tmp"  # CRLF, no final newline: both must survive
    (root / ".dockerignore").write_bytes(user.encode())
    first = dockopt("context", str(root), "--fix", "--format", "json")
    assert first.returncode == 0, first.stderr  # no finding left at or above `high`
    report = json.loads(first.stdout)
    text = (root / ".dockerignore").read_bytes().decode()
    assert text.startswith(user + "\r\n" + "\r\n" + FIX_HEADER + "\r\n")
    assert set(report["fix"]["added"]) >= {".git", ".env", "**/node_modules", ".venv"}
    assert report["suggestions"] == []  # what was suggested is excluded now
    sent = {e.path for e in load_context(root).files}
    assert ".env" not in sent and not any(p.startswith(".git/") for p in sent)
    assert "app/main.py" in sent and ".env.example" in sent
    second = dockopt("context", str(root), "--fix", "--format", "json")
    assert json.loads(second.stdout)["fix"]["added"] == []
    assert (root / ".dockerignore").read_bytes().decode() == text
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".dockerignore")) == [".dockerignore"]


def test_fix_creates_the_file_and_never_duplicates(tmp_path):
    root = project(tmp_path)
    ctx = load_context(root)
    refs = context_references((root / "Dockerfile").read_text())
    target = root / ".dockerignore"
    added = fix_ignore_file(target, suggest(ctx, refs))
    assert target.read_text().splitlines()[0] == FIX_HEADER and len(added) == 11
    assert fix_ignore_file(target, suggest(ctx, refs)) == []  # same suggestions, nothing new


def test_fix_writes_the_dockerfile_specific_file_when_that_is_in_effect(tmp_path, dockopt):
    root = project(tmp_path)
    (root / "Dockerfile.dockerignore").write_text("docs\n")
    out = dockopt("context", str(root), "--fix")
    assert out.returncode == 0, out.stderr
    assert ".git" in (root / "Dockerfile.dockerignore").read_text()
    assert not (root / ".dockerignore").exists()


def test_table_json_unreachable_and_exit_codes(tmp_path, dockopt):
    root = project(tmp_path)
    (root / "Dockerfile").write_text("FROM scratch\nCOPY app /app\nCOPY requirements.txt /\n")
    out = dockopt("context", str(root), "--format", "json", "--top", "3")
    assert out.returncode == 1  # .env and id_rsa are high
    report = json.loads(out.stdout)
    assert report["schema_version"] == 1 and report["dialect"] == "buildkit"
    assert report["sent"]["files"] == 22 and report["heaviest_files"][0] == {"path": ".git/objects/pack/p.pack",
                                                                             "bytes": 20000}
    assert report["heaviest_directories"][0]["path"] == ".git" and len(report["heaviest_files"]) == 3
    lost = {u["path"]: u for u in report["unreachable"]["paths"]}
    assert ".git" in lost and "docs" in lost and "app" not in lost and "requirements.txt" not in lost
    assert lost[".git"]["kind"] == "dir" and lost[".git"]["files"] == 2
    assert {f["rule_id"] for f in report["findings"]} >= {"context.secret", "context.unreachable"}
    table = dockopt("context", str(root), "--fail-on", "none")
    assert table.returncode == 0
    assert "Suggested .dockerignore patterns" in table.stdout and "Sent but never copied" in table.stdout


@pytest.mark.parametrize("args,message", [
    (["/nonexistent/ctx"], "does not exist"),
    (["{root}/Dockerfile"], "is not a directory"),
    (["{root}", "-f", "{root}/missing"], "does not exist"),
    (["{root}", "-f", "{root}/sub"], "is a directory, not a regular file"),
    (["{empty}"], "no Dockerfile"),
    (["{bad}"], "syntax error in pattern"),
    (["{root}", "--fail-on", "bogus"], "unknown severity"),
])
def test_errors_are_one_line_exit_2(tmp_path, dockopt, args, message):
    root = make(tmp_path / "ok", {"sub/x": "x"})
    (tmp_path / "empty").mkdir()
    bad = make(tmp_path / "bad", {})
    (bad / ".dockerignore").write_text("a[\n")
    before = (bad / ".dockerignore").read_text()
    argv = [a.format(root=root, empty=tmp_path / "empty", bad=bad) for a in args]
    out = dockopt("context", *argv)
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and message in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert (bad / ".dockerignore").read_text() == before


def test_list_prints_sent_paths(tmp_path, dockopt):
    root = make(tmp_path / "c", {"a.txt": "a", "skip/b.txt": "b"})
    (root / ".dockerignore").write_text("skip\n")
    out = dockopt("context", str(root), "--list")
    assert out.returncode == 0
    assert out.stdout.splitlines() == [".dockerignore", "Dockerfile", "a.txt"]


DOCKERFILES = [
    "ARG SRC=app\nFROM x AS build\nARG SRC=app\nCOPY --chown=1 ${SRC}/ /a/\nADD https://e.com/x.tgz /x\n"
    "COPY --from=other /bin /bin\nCOPY [\"conf/*.yml\", \"/etc/\"]\nCOPY <<EOF /etc/motd\nhello\nEOF\n"
    "RUN --mount=type=bind,source=requirements.txt,target=/r pip install -r /r\nONBUILD COPY . /x\n",
    "FROM x\n# comment\nCOPY a \\\n  # inside\n  b /dst/\nRUN <<-EOT\n\tCOPY nope /x\n\tEOT\nADD --link c.tar /\n",
]


EXPECTED_REFERENCES = [
    [("COPY", [("chown", "1")], ["${SRC}/"]), ("ADD", [], ["https://e.com/x.tgz"]),
     ("COPY", [("from", "other")], ["/bin"]), ("COPY", [], ["conf/*.yml"]), ("COPY", [], []),
     ("RUN", [("mount", "type=bind,source=requirements.txt,target=/r")], [])],
    [("COPY", [], ["a", "b"]), ("RUN", [], []), ("ADD", [("link", None)], ["c.tar"])],
]


@pytest.mark.parametrize("text,expected", list(zip(DOCKERFILES, EXPECTED_REFERENCES)))
def test_references_come_from_the_shared_parser(text, expected):
    """COPY/ADD sources, flags and RUN mounts as the shared parser reads them: heredoc bodies,
    comments inside continuations and ONBUILD triggers are not references."""
    from dockopt.dockerfile import context_refs

    got = [(k, f, s) for k, f, s, _ in context_refs._instructions(text) if k in ("COPY", "ADD", "RUN")]
    assert got == expected


def test_heaviest_directories_skip_chains_that_add_nothing(tmp_path):
    from dockopt.dockerfile.context import heaviest_directories

    root = make(tmp_path / "c", {".git/objects/pack/p": b"\0" * 5000, "src/a": b"\0" * 10, "src/sub/b": b"\0" * 20})
    names = [w.path for w in heaviest_directories(load_context(root), 10)]
    assert names == [".git", "src", "src/sub"]  # .git/objects and .git/objects/pack are all of .git


def test_output_directories_need_a_build_file_beside_them(tmp_path):
    root = make(tmp_path / "c", {"build/helper.sh": "x", "dist/readme": "y", "target/t": "z"})
    assert suggest(load_context(root), context_references("FROM x\nCOPY . /\n")) == []
    (root / "Cargo.toml").write_text("[package]\n")
    assert [s.pattern for s in suggest(load_context(root), context_references("FROM x\nCOPY . /\n"))] == ["target"]


def test_config_section_sets_dialect_and_threshold(tmp_path, dockopt):
    root = project(tmp_path)
    (tmp_path / ".dockopt.yaml").write_text("context:\n  dialect: legacy-classic\n  fail-on: none\n")
    out = dockopt("context", str(root), "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr  # secrets found, but fail-on none
    assert json.loads(out.stdout)["dialect"] == "legacy-classic"
    (tmp_path / ".dockopt.yaml").write_text("context:\n  dialect: nonsense\n")
    out = dockopt("context", str(root), cwd=tmp_path)
    assert out.returncode == 2 and "unknown .dockerignore dialect" in out.stderr and "Traceback" not in out.stderr


def test_fix_escapes_literal_names(tmp_path):
    root = make(tmp_path / "c", {"env[1]/pyvenv.cfg": "home = /usr\n", "env[1]/lib/x.py": "x", "e1/keep": "k"})
    ctx = load_context(root)
    refs = context_references("FROM x\nCOPY . /\n")
    assert fix_ignore_file(root / ".dockerignore", suggest(ctx, refs)) == ["env\\[1\\]"]
    sent = {e.path for e in load_context(root).files}
    assert "e1/keep" in sent and not any(p.startswith("env[1]/") for p in sent)
