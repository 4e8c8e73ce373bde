"""The config file checked once at load against its declared schema, and the other user-written
JSON/YAML inputs (ignore files, baselines, a Dockerfile's exec form) bounded by safeload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockopt.config import load_config
from dockopt.config.schema import SECTIONS
from tests.hostile import assert_clean_error, run_hostile

DOCKERFILE = "FROM scratch\nCOPY app /app\n"


def project(tmp_path: Path, config: str, name: str = ".dockopt.yaml") -> Path:
    (tmp_path / ".git").mkdir()  # the config search stops here
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / name).write_text(config)
    return tmp_path


WRONG_TYPES = {
    "db: {path: 5}": r"^dockopt: error: \S*\.dockopt\.yaml: db\.path: expected a string, got 5$",
    "context: {dialect: []}": r"\.dockopt\.yaml: context\.dialect: expected a string, got a list$",
    "analyze: {fail-on: [a, b]}": r"\.dockopt\.yaml: analyze\.fail-on: expected an object of values that are "
                                  r"each a string or a number, got a list$",
    "scan: {ignore-file: {}}": r"\.dockopt\.yaml: scan\.ignore-file: expected a string, got an object$",
    "db: {mirror: 1}": r"\.dockopt\.yaml: db\.mirror: expected a string, got 1$",
    "lint: {fix-unsafe: sometimes}": r"lint\.fix-unsafe: expected a boolean \(true or false\), got 'sometimes'$",
    "lint: {severity: {DO101: [high]}}": r"lint\.severity\.DO101: expected a string, got a list$",
    "prune: {protect: {labels: [1]}}": r"prune\.protect\.labels\[0\]: expected a string, got 1$",
    "analyze: {secrets: {allow: [5]}}": r"analyze\.secrets\.allow\[0\]: expected a string or an object, got 5$",
    "scan: [1]": r"\.dockopt\.yaml: scan: expected a mapping, got a list$",
    "[1, 2]": r"\.dockopt\.yaml: expected a mapping of sections, got a list$",
    "scan: {ignore: [{id: X, reason: y, expires: 2025-13-45}]}":
        r"\.dockopt\.yaml: scan\.ignore\[0\]\.expires: invalid value '2025-13-45': "
        r"month must be in 1\.\.12 at line 1$",
}


@pytest.mark.parametrize("config", list(WRONG_TYPES))
def test_wrong_types_are_one_line_naming_file_and_key(config, tmp_path):
    root = project(tmp_path, config + "\n")
    run = run_hostile("lint", "Dockerfile", cwd=root)
    assert_clean_error(run, WRONG_TYPES[config], max_seconds=60)


def test_pyproject_section_is_checked_the_same(tmp_path):
    root = project(tmp_path, '[tool.dockopt.db]\npath = 5\n', name="pyproject.toml")
    run = run_hostile("lint", "Dockerfile", cwd=root)
    assert_clean_error(run, r"pyproject\.toml \[tool\.dockopt\]: db\.path: expected a string, got 5$")


HOSTILE_YAML = {
    "deep nesting": ("a: " + "[" * 5000 + "]" * 5000, r"\.dockopt\.yaml: (nested|not valid YAML \(exceeded maximum nesting depth)"),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)),
        r"\.dockopt\.yaml: aliases expand to more than \d+ nodes"),
}


@pytest.mark.parametrize("case", list(HOSTILE_YAML))
def test_hostile_yaml_config_is_one_line_in_bounded_memory(case, tmp_path):
    text, message = HOSTILE_YAML[case]
    run = run_hostile("lint", "Dockerfile", cwd=project(tmp_path, text))
    assert_clean_error(run, message, max_rss_mb=200, max_seconds=60)


def test_unknown_keys_warn_once_each_and_the_run_goes_on(tmp_path):
    root = project(tmp_path, "lint: {ignore: [DO101], colour: red}\npolicies: {}\n")
    run = run_hostile("lint", "Dockerfile", "--format", "json", cwd=root)
    assert run.returncode in (0, 1), run.stderr
    warnings = [line for line in run.stderr_lines if "warning" in line]
    assert warnings == [f"dockopt: warning: {root / '.dockopt.yaml'}: unknown key lint.colour (ignored)",
                        f"dockopt: warning: {root / '.dockopt.yaml'}: unknown key policies (ignored)"]
    assert isinstance(json.loads(run.stdout), (dict, list))


def test_every_existing_key_and_spelling_loads_without_warnings(tmp_path, capsys):
    config = {
        "analyze": {"fail-on": {"lowestEfficiency": 0.9, "highestWastedBytes": "20MB",
                                "highestUserWastedPercent": "disabled"},
                    "fail_on": {}, "checks": "waste,secrets", "fail-severity": "high", "fail_severity": "low",
                    "secrets": {"allow": ["/app/tests/*", "secrets.npmrc", {"path": "/x", "rule": "secrets.env",
                                                                              "value": "^dev"}]}},
        "lint": {"ignore": ["DO101"], "severity": {"DO101": "low"}, "trusted-registries": ["r.example"],
                 "fail-on": "never", "fix-unsafe": True},
        "context": {"dialect": "legacy-classic", "fail-on": "none"},
        "scan": {"fail-on": "high", "only-fixed": False, "match-owned": True, "format": "json", "ignore-file": "ignore.yaml",
                 "ignore": [{"id": "CVE-1", "reason": "r", "package": "p", "expires": "2030-01-01"}]},
        "db": {"path": "osv.sqlite3", "mirror": "file:///m"},
        "prune": {"protect": {"labels": ["keep"], "repositories": ["app/*"]}},
    }
    path = tmp_path / ".dockopt.yaml"
    path.write_text(json.dumps(config))  # JSON is YAML
    assert load_config(path) == config
    assert capsys.readouterr().err == ""
    assert set(config) == set(SECTIONS)
    assert all(set(config[name]) == set(SECTIONS[name].fields) for name in SECTIONS)


def test_ignore_file_constructor_error_names_file_and_key(tmp_path):
    rules = tmp_path / "ignore.yaml"
    rules.write_text("ignore:\n  - id: CVE-2024-1\n    reason: not reachable\n    expires: 2025-13-45\n")
    sbom = tmp_path / "bom.json"
    sbom.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}')
    run = run_hostile("scan", "--sbom", str(sbom), "--ignore-file", str(rules), "--db", str(tmp_path / "none"))
    assert_clean_error(run, r"ignore file \S+ignore\.yaml: ignore\[0\]\.expires: invalid value "
                            r"'2025-13-45': month must be in 1\.\.12 at line 4$")


def test_deep_ignore_file_and_alias_bomb_are_one_line(tmp_path):
    sbom = tmp_path / "bom.json"
    sbom.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}')
    for text in ("ignore: " + "[" * 5000 + "]" * 5000, HOSTILE_YAML["alias bomb"][0]):
        rules = tmp_path / "ignore.yaml"
        rules.write_text(text)
        run = run_hostile("scan", "--sbom", str(sbom), "--ignore-file", str(rules), "--db", str(tmp_path / "none"))
        assert_clean_error(run, r"ignore file \S+: (nested|aliases expand|not valid YAML \(exceeded maximum nesting depth)", max_rss_mb=200, max_seconds=60)


@pytest.mark.parametrize("baseline, message", [
    ('{"findings": ' + "[" * 100_000 + "]" * 100_000 + "}", r"baseline \S+: nested deeper than 100 levels$"),
    ('{"findings": "all"}', r"baseline \S+: findings: expected a list of objects, got a string$"),
    ('{"findings": [{"file": "Dockerfile", "rule_id": 101}]}',
     r"baseline \S+: findings\[0\]\.rule_id: expected a string, got a number$"),
])
def test_baseline_of_the_wrong_shape(baseline, message, tmp_path):
    root = project(tmp_path, "{}\n")
    (root / "base.json").write_text(baseline)
    run = run_hostile("lint", "Dockerfile", "--baseline", "base.json", cwd=root)
    assert_clean_error(run, message)


def test_exec_form_nested_past_the_cap_is_a_finding_not_a_traceback(tmp_path):
    root = project(tmp_path, "{}\n")
    (root / "Dockerfile").write_text("FROM scratch\nCMD " + "[" * 30_000 + "]" * 30_000 + "\n")
    run = run_hostile("lint", "Dockerfile", "--format", "json", cwd=root)
    assert "Traceback" not in run.stderr and run.returncode == 1, run.stderr[-2000:]
    messages = [f["message"] for f in json.loads(run.stdout)["findings"]]
    assert any("must be comprised of strings only" in m for m in messages), messages
    assert run.peak_rss_mb < 200
