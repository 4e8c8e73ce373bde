"""A missing oracle is a skip for a developer and a failure when everything is required."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.oracles import require_tools

ROOT = Path(__file__).resolve().parent.parent
ORACLE_TESTS = ["tests/vuln/test_versions.py::test_debian_against_dpkg",
                "tests/vuln/test_versions.py::test_rpm_against_rpm_vercmp",
                "tests/vuln/test_versions.py::test_maven_against_comparable_version"]


def test_missing_tool_fails_when_required(monkeypatch):
    monkeypatch.setenv("DOCKOPT_REQUIRE_ENGINE", "1")
    with pytest.raises(pytest.fail.Exception) as info:
        require_tools("dockopt-no-such-oracle", files=("/nonexistent/x.jar",), install="nothing")
    assert str(info.value) == ("oracle required but unavailable: dockopt-no-such-oracle, /nonexistent/x.jar "
                               "(install nothing)")


def test_missing_tool_skips_otherwise(monkeypatch):
    monkeypatch.delenv("DOCKOPT_REQUIRE_ENGINE", raising=False)
    with pytest.raises(pytest.skip.Exception) as info:
        require_tools("dockopt-no-such-oracle", install="nothing")
    assert str(info.value) == "oracle not installed: dockopt-no-such-oracle (install nothing)"


def test_present_tool_neither_fails_nor_skips(monkeypatch):
    monkeypatch.setenv("DOCKOPT_REQUIRE_ENGINE", "1")
    assert require_tools("sh", files=(sys.executable,), install="-") is None


@pytest.mark.parametrize("required,outcome", [("1", "3 failed"), ("0", "3 skipped")])
def test_version_oracle_tests_obey_the_requirement(required, outcome, tmp_path):
    """The real oracle tests, run with no oracle on PATH."""
    env = {**os.environ, "PATH": str(tmp_path), "DOCKOPT_REQUIRE_ENGINE": required,
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *ORACLE_TESTS],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert outcome in proc.stdout.splitlines()[-1], proc.stdout[-2000:]
    if required == "1":
        assert "oracle required but unavailable: dpkg (install the Debian package dpkg)" in proc.stdout
        assert "oracle required but unavailable: rpm (install the Debian package rpm)" in proc.stdout
        assert "oracle required but unavailable: java" in proc.stdout
