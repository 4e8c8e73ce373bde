"""`dockopt scan IMAGE`: packages catalogued in the one pass, matched against OSV fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.catalog.conftest import NPM_PINS, PIP_PINS

pytestmark = pytest.mark.engine

OSV_FIXTURES = Path(__file__).resolve().parent.parent / "vuln" / "data" / "osv"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    from dockopt.vuln.importer import import_paths

    path = tmp_path_factory.mktemp("scan-db") / "osv.sqlite3"
    import_paths(path, [OSV_FIXTURES])
    return path


def test_scan_image_matches_pip_and_npm(apps_image, db, dockopt):
    out = dockopt("scan", "--db", str(db), "--format", "json", f"docker:{apps_image}")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    by_id = {m["id"]: m for m in doc["matches"]}
    requests = by_id["GHSA-j8r2-6x86-q33q"]
    assert requests["package"]["version"] == PIP_PINS["requests"]
    assert requests["fixed_version"] == "2.31.0"
    location = requests["package"]["locations"][0]
    assert location["layer"].startswith("sha256:") and "requests" in location["path"]
    lodash = by_id["GHSA-35jh-r3h4-6jhm"]
    assert lodash["package"]["version"] == NPM_PINS["lodash"] and lodash["severity"] == "high"
    assert "explanation" in lodash["match"] and lodash["match"]["range"]["fixed"] == "4.17.21"


def test_scan_image_fail_on(apps_image, db, dockopt):
    assert dockopt("scan", "-q", "--db", str(db), "--fail-on", "high", f"docker:{apps_image}").returncode == 1
    assert dockopt("scan", "-q", "--db", str(db), "--fail-on", "critical", f"docker:{apps_image}").returncode == 0


def test_scan_needs_exactly_one_input(dockopt, db, tmp_path):
    out = dockopt("scan", "--db", str(db))
    assert out.returncode == 2 and "either an IMAGE or --sbom" in out.stderr
