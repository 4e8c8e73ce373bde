"""`dockopt analyze` as a user runs it: gates with dive's names, config files, outputs."""

from __future__ import annotations

import json

import pytest

from tests.image.conftest import BIG

pytestmark = pytest.mark.engine


@pytest.fixture(scope="session")
def ref(waste_image) -> str:
    return f"docker:{waste_image}"


def test_json_schema_fields(ref, dockopt):
    out = dockopt("analyze", "--format", "json", ref)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["schema_version"] == "1" and doc["passed"] is True
    s = doc["summary"]
    assert s["total_bytes"] == s["final_bytes"] + s["wasted_bytes"]
    assert doc["wasted_paths"][0] == {"path": "/big.bin", "size": BIG, "added_in": 1, "hidden_in": 2, "how": "deleted"}
    assert doc["layers"][1]["created_by"].startswith("RUN dd")
    assert doc["base"] == {"layers": 1, "method": "engine", "name": None}


@pytest.mark.parametrize("gate,value,expected", [
    ("lowestEfficiency", "0.9", 1),
    ("lowestEfficiency", "0.01", 0),
    ("highestWastedBytes", "20MB", 1),
    ("highestWastedBytes", "1GB", 0),
    ("highestUserWastedPercent", "10%", 1),
    ("highestUserWastedPercent", "100%", 0),
    ("highestWastedBytes", "disabled", 0),
])
def test_gates(ref, dockopt, gate, value, expected):
    out = dockopt("analyze", "-q", "--fail-on", f"{gate}={value}", ref)
    assert out.returncode == expected, out.stdout + out.stderr
    assert ("FAIL" in out.stdout) == bool(expected)


def test_gates_from_yaml_config(ref, dockopt, tmp_path):
    (tmp_path / ".dockopt.yaml").write_text("analyze:\n  fail-on:\n    lowestEfficiency: 0.95\n")
    assert dockopt("analyze", ref, cwd=tmp_path).returncode == 1
    # The command line overrides the file.
    assert dockopt("analyze", ref, "--fail-on", "lowestEfficiency=disabled", cwd=tmp_path).returncode == 0


def test_gates_from_pyproject(ref, dockopt, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.dockopt.analyze.fail-on]\nhighestWastedBytes = "1MB"\n')
    out = dockopt("analyze", "--format", "json", ref, cwd=tmp_path)
    assert out.returncode == 1
    doc = json.loads(out.stdout)
    assert doc["passed"] is False and doc["gates"][0]["name"] == "highestWastedBytes"
    assert any(f["rule_id"] == "gate.highestWastedBytes" for f in doc["findings"])


def test_bad_gate_and_bad_config(ref, dockopt, tmp_path):
    out = dockopt("analyze", "--fail-on", "lowestEfficiency=abc", ref)
    assert out.returncode == 2 and "invalid ratio" in out.stderr
    out = dockopt("analyze", "--fail-on", "noSuchGate=1", ref)
    assert out.returncode == 2 and "unknown gate" in out.stderr
    (tmp_path / ".dockopt.yaml").write_text("analyze: [unclosed\n")
    out = dockopt("analyze", ref, cwd=tmp_path)
    assert out.returncode == 2 and "not valid" in out.stderr and "Traceback" not in out.stderr


def test_output_file_is_written(ref, dockopt, tmp_path):
    target = tmp_path / "r.json"
    out = dockopt("analyze", "--format", "json", "-o", str(target), ref)
    assert out.returncode == 0 and out.stdout == ""
    assert json.loads(target.read_text())["summary"]["wasted_bytes"] > BIG


def test_base_option_matches_diff_ids(ref, dockopt):
    out = dockopt("analyze", "--format", "json", "--base", "docker:dockopt-test/busybox:latest", ref)
    doc = json.loads(out.stdout)
    assert doc["base"]["method"] == "--base" and doc["base"]["layers"] == 1
