"""`dockopt lint` end to end through the real CLI: discovery, formats, exit codes, fix, baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from .cases import CLI_CLEAN as CLEAN
from .cases import CLI_LOW
from .cases import CLI_NAIVE as NAIVE
from ..conftest import run_dockopt

SCHEMA = json.loads((Path(__file__).parent.parent / "data" / "sarif-schema-2.1.0.json").read_text())

@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(NAIVE)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile.prod").write_text(CLEAN)
    (tmp_path / "svc" / "api.dockerfile").write_text(CLI_LOW)
    (tmp_path / "Dockerfile.dockerignore").write_text("*.log\n")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "README.md").write_text("# hi\n")
    (tmp_path / "Dockerfile.md").write_text("# notes about the image\n")
    (tmp_path / "dockerfile_tools.py").write_text("print(1)\n")
    return tmp_path


def test_directory_discovery_and_json(dockopt, tree: Path) -> None:
    out = dockopt("lint", ".", "--format", "json", cwd=tree)
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["schema_version"] == 1
    assert data["files"] == ["Dockerfile", "svc/Dockerfile.prod", "svc/api.dockerfile"]
    by = {(f["file"], f["rule_id"]): f for f in data["findings"]}
    assert by[("Dockerfile", "DO103")]["line"] == 2
    assert by[("Dockerfile", "DO102")]["line"] == 3 and by[("Dockerfile", "DO102")]["fixable"] is True
    assert by[("svc/api.dockerfile", "DO402")]["line"] == 3
    assert not any(f["file"] == "svc/Dockerfile.prod" for f in data["findings"])


def test_exit_codes_and_threshold(dockopt, tree: Path) -> None:
    assert dockopt("lint", "svc/Dockerfile.prod", cwd=tree).returncode == 0
    assert dockopt("lint", "svc/api.dockerfile", cwd=tree).returncode == 0  # only a low finding
    assert dockopt("lint", "svc/api.dockerfile", "--fail-on", "low", cwd=tree).returncode == 1
    assert dockopt("lint", "Dockerfile", "--fail-on", "never", cwd=tree).returncode == 0
    out = dockopt("lint", "Dockerfile", "--fail-on", "bogus", cwd=tree)
    assert out.returncode == 2 and "unknown severity" in out.stderr


def test_sarif_is_valid_2_1_0(dockopt, tree: Path) -> None:
    out = dockopt("lint", ".", "--format", "sarif", cwd=tree)
    sarif = json.loads(out.stdout)
    jsonschema.validate(sarif, SCHEMA, cls=jsonschema.Draft4Validator)
    run = sarif["runs"][0]
    results = run["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    rules = run["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"]["dockoptFingerprint/v1"]
    assert {"Dockerfile", "svc/api.dockerfile"} == {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    # a proposed fix, as offsets into the original text
    text = (tree / "Dockerfile").read_text()
    do102 = next(r for r in results if r["ruleId"] == "DO102")
    rep = do102["fixes"][0]["artifactChanges"][0]["replacements"][0]
    at = rep["deletedRegion"]["charOffset"]
    assert text[:at].endswith("apt-get install") and rep["insertedContent"]["text"] == " --no-install-recommends"


def test_junit(dockopt, tree: Path) -> None:
    out = dockopt("lint", ".", "--format", "junit", cwd=tree)
    root = ET.fromstring(out.stdout)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"Dockerfile", "svc/Dockerfile.prod", "svc/api.dockerfile"}
    assert int(suites["Dockerfile"].get("failures")) >= 3
    assert suites["svc/Dockerfile.prod"].get("failures") == "0"
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites.values())


def test_table_output_to_file(dockopt, tree: Path) -> None:
    out = dockopt("lint", "Dockerfile", "-o", "report.txt", cwd=tree)
    assert out.returncode == 1 and out.stdout == ""
    report = (tree / "report.txt").read_text()
    assert "Dockerfile:3  DO102" in report and "fixable with --fix" in report


def test_fix_rewrites_and_is_idempotent(dockopt, tree: Path) -> None:
    target = tree / "Dockerfile"
    target.chmod(0o640)
    out = dockopt("lint", "--fix", "Dockerfile", "--fail-on", "never", cwd=tree)
    assert out.returncode == 0, out.stderr
    assert target.read_text() == (
        "FROM dockopt-test/debian:bookworm\nRUN apt-get update && \\\n"
        "    apt-get install --no-install-recommends -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
        "CMD [\"curl\", \"--version\"]\n")
    assert target.stat().st_mode & 0o777 == 0o640
    again = dockopt("lint", "--diff", "Dockerfile", cwd=tree)
    assert again.returncode == 0 and again.stdout == ""


def test_diff_changes_nothing(dockopt, tree: Path) -> None:
    out = dockopt("lint", "--diff", "Dockerfile", cwd=tree)
    assert out.returncode == 1
    assert "-RUN apt-get update\n" in out.stdout and "+RUN apt-get update && \\\n" in out.stdout
    assert (tree / "Dockerfile").read_text() == NAIVE


def test_unsafe_fix_is_opt_in(dockopt, tmp_path: Path) -> None:
    f = tmp_path / "Dockerfile"
    f.write_text("FROM python:3.12\nUSER 1\nCMD [\"python\"]\n")
    dockopt("lint", "--fix", str(f), cwd=tmp_path)
    assert f.read_text().startswith("FROM python:3.12\n")
    dockopt("lint", "--fix", "--fix-unsafe", str(f), cwd=tmp_path)
    assert f.read_text().startswith("FROM python:3.12-slim\n")


def test_baseline(dockopt, tree: Path) -> None:
    out = dockopt("lint", ".", "--baseline", "lint-baseline.json", "--write-baseline", cwd=tree)
    assert out.returncode == 0 and (tree / "lint-baseline.json").exists()
    assert dockopt("lint", ".", "--baseline", "lint-baseline.json", cwd=tree).returncode == 0
    # lines shift above the old findings: still known
    (tree / "Dockerfile").write_text("# a new comment\n" + NAIVE)
    assert dockopt("lint", ".", "--baseline", "lint-baseline.json", cwd=tree).returncode == 0
    (tree / "Dockerfile").write_text(NAIVE + "RUN chmod 777 /tmp/x\n")
    out = dockopt("lint", ".", "--baseline", "lint-baseline.json", "--format", "json", cwd=tree)
    assert out.returncode == 1
    assert [f["rule_id"] for f in json.loads(out.stdout)["findings"]] == ["DO209"]


def test_config_file(dockopt, tree: Path) -> None:
    (tree / ".dockopt.yaml").write_text(
        "lint:\n  ignore: [DO103, DO303]\n  severity:\n    DO402: high\n  fail-on: high\n"
        "  trusted-registries: [docker.io]\n")
    data = json.loads(dockopt("lint", ".", "--format", "json", cwd=tree).stdout)
    ids = {f["rule_id"] for f in data["findings"]}
    assert "DO103" not in ids and "DO303" not in ids
    assert next(f for f in data["findings"] if f["rule_id"] == "DO402")["severity"] == "high"
    assert dockopt("lint", "svc/api.dockerfile", cwd=tree).returncode == 1  # DO402 now high, fail-on high
    (tree / ".dockopt.yaml").write_text("lint:\n  ignore: [DO999]\n")
    out = dockopt("lint", ".", cwd=tree)
    assert out.returncode == 2 and "DO999" in out.stderr and "Traceback" not in out.stderr


def test_bad_input_is_one_line_exit_2(dockopt, tmp_path: Path) -> None:
    out = dockopt("lint", "missing/Dockerfile", "-o", "out.json", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.startswith("dockopt: error:") and len(out.stderr.splitlines()) == 1
    assert not (tmp_path / "out.json").exists()
    (tmp_path / "Dockerfile").write_bytes(b"\x7fELF\x00\x00binary")
    out = dockopt("lint", "Dockerfile", cwd=tmp_path)
    assert out.returncode == 2 and "not a text file" in out.stderr
    (tmp_path / "empty").mkdir()
    out = dockopt("lint", "empty", cwd=tmp_path)
    assert out.returncode == 2 and "no Dockerfile" in out.stderr
    out = dockopt("lint", "--explain", "DO999")
    assert out.returncode == 2 and "unknown rule" in out.stderr


def test_broken_file_reports_line_and_lints_the_rest(dockopt, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM dockopt-test/debian:bookworm\nRUNN echo\nRUN sudo id\n")
    data = json.loads(dockopt("lint", "Dockerfile", "--format", "json", cwd=tmp_path).stdout)
    got = {(f["rule_id"], f["line"]) for f in data["findings"]}
    assert ("DO400", 2) in got and ("DO204", 3) in got


def test_explain_and_list(dockopt) -> None:
    out = dockopt("lint", "--explain", "do102")
    assert out.returncode == 0 and out.stdout.startswith("DO102: apt-get install without --no-install-recommends")
    assert "Example (fixed)" in out.stdout
    listing = dockopt("lint", "--list-rules").stdout
    assert "DO101" in listing and "DO409" in listing


def test_lint_path_imports_no_docker_or_httpx(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(NAIVE)
    code = ("import sys\nfrom dockopt.cli.main import main\n"
            "try:\n    main(['lint', '--format', 'sarif', '-o', 'o.sarif', 'Dockerfile'])\n"
            "except SystemExit:\n    pass\n"
            "bad = [m for m in ('docker', 'httpx', 'requests', 'rich') if m in sys.modules]\n"
            "print(','.join(bad))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_stdin(dockopt, tmp_path: Path) -> None:
    out = dockopt("lint", "-", "--format", "json", input=NAIVE, cwd=tmp_path)
    data = json.loads(out.stdout)
    assert out.returncode == 1 and data["files"] == ["-"]
    assert {"DO102", "DO103"} <= {f["rule_id"] for f in data["findings"]}
    assert dockopt("lint", "-", "--fix", input=NAIVE, cwd=tmp_path).returncode == 2


def test_parallel_workers_give_the_same_report(dockopt, tmp_path: Path) -> None:
    from .cases import CASES

    for i, case in enumerate(CASES[:60]):
        (tmp_path / f"c{i:02d}.dockerfile").write_text(case.fires)
    one = dockopt("lint", ".", "--format", "json", "-j", "1", cwd=tmp_path)
    two = dockopt("lint", ".", "--format", "json", "-j", "2", cwd=tmp_path)
    assert one.returncode == two.returncode == 1
    assert json.loads(one.stdout)["findings"] == json.loads(two.stdout)["findings"]
    assert len(json.loads(one.stdout)["files"]) == 60


def test_config_discovery_stops_at_the_repository_root(tmp_path: Path) -> None:
    """A config above the repository (beyond the folder holding `.git`) is not the repository's:
    it must not apply. Without `.git` in between it does, and one at the root does too."""
    outer = tmp_path / "outer"
    repo = outer / "repo"
    (repo / "sub").mkdir(parents=True)
    (outer / ".dockopt.yaml").write_text("lint:\n  ignore: [DO201]\n")
    (repo / "sub" / "Dockerfile").write_text("FROM debian:bookworm-slim\nCMD [\"sleep\", \"1\"]\n")

    def rules() -> set[str]:
        result = run_dockopt("lint", "--format", "json", "Dockerfile", cwd=repo / "sub")
        assert result.returncode in (0, 1), result.stderr
        return {f["rule_id"] for f in json.loads(result.stdout)["findings"]}

    assert "DO201" not in rules()  # no repository: the parent's config applies
    (repo / ".git").mkdir()
    assert "DO201" in rules()  # the repository root ends the search
    (repo / ".dockopt.yaml").write_text("lint:\n  ignore: [DO201]\n")
    assert "DO201" not in rules()
