"""`dockopt doctor`: one line per finding with what to do; exit 1 only when something needs fixing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import run_dockopt

OSV = Path(__file__).parent / "vuln" / "data" / "osv"


def doctor(tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    base = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "DOCKER_CONFIG": str(tmp_path / "docker"),
            "DOCKOPT_REGISTRY_USERNAME": "", "COLUMNS": "80"}
    return run_dockopt("doctor", *args, env={**base, **(env or {})})


def checks(proc) -> dict[str, list[dict]]:
    by_area: dict[str, list[dict]] = {}
    for check in json.loads(proc.stdout)["checks"]:
        by_area.setdefault(check["area"], []).append(check)
    return by_area


def test_unreachable_engine_and_missing_db_are_fix_lines(tmp_path):
    proc = doctor(tmp_path, "--format", "json", env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert proc.returncode == 1, proc.stderr
    found = checks(proc)
    engine = found["engine"][0]
    assert engine["status"] == "fix" and f"unix://{tmp_path}/none.sock (no such socket)" in engine["detail"]
    assert "DOCKER_HOST" in engine["fix"]
    db = found["vulnerability database"][0]
    assert db["status"] == "fix" and "dockopt db update" in db["fix"]
    assert found["cache"][0]["status"] == "ok"


def test_table_fits_80_columns_with_fix_lines_indented(tmp_path):
    proc = doctor(tmp_path, env={"DOCKER_HOST": f"unix://{tmp_path}/none.sock"})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    assert any(line.startswith("fix  engine: no Docker engine at") for line in lines)
    assert any(line.startswith("     -> run `dockopt db update`") for line in lines)


def test_stale_database_is_a_warning_with_one_age_figure(tmp_path):
    db = tmp_path / "osv.sqlite3"
    imported = run_dockopt("db", "import", "--db", str(db), str(OSV))
    assert imported.returncode == 0, imported.stderr
    status = json.loads(run_dockopt("db", "status", "--db", str(db), "--format", "json").stdout)
    ages = {f["name"]: f["age"] for f in status["feeds"]}
    proc = doctor(tmp_path, "--db", str(db), "--format", "json", env={"DOCKER_HOST": f"unix://{tmp_path}/x.sock"})
    found = checks(proc)["vulnerability database"]
    assert found[0]["status"] == "ok" and "records in" in found[0]["detail"]
    stale = [c for c in found if c["status"] == "warn"]
    assert stale and "dockopt db update" in stale[0]["fix"]
    for name, age in ages.items():  # the same figure as `db status`
        assert f"{name} {age}" in stale[0]["detail"]


def test_docker_config_with_missing_helper_and_a_broken_config(tmp_path):
    folder = tmp_path / "docker"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(
        {"auths": {"r.example": {"auth": "eDp5"}}, "credHelpers": {"gcr.io": "nosuchhelper"}}))
    found = checks(doctor(tmp_path, "--format", "json", env={"DOCKER_HOST": "unix:///nonexistent"}))["registry"]
    assert found[0]["status"] == "ok" and "credentials for 1 registry" in found[0]["detail"]
    assert any(c["status"] == "warn" and "docker-credential-nosuchhelper" in c["detail"] for c in found)
    (folder / "config.json").write_text("[" * 5000)
    proc = doctor(tmp_path, "--format", "json", env={"DOCKER_HOST": "unix:///nonexistent"})
    assert "Traceback" not in proc.stderr
    broken = checks(proc)["registry"][0]
    assert broken["status"] == "fix" and "cannot be read" in broken["detail"]


def test_corrupt_database_is_a_fix_line(tmp_path):
    db = tmp_path / "osv.sqlite3"
    db.write_bytes(b"not a database" * 100)
    found = checks(doctor(tmp_path, "--db", str(db), "--format", "json",
                          env={"DOCKER_HOST": "unix:///nonexistent"}))["vulnerability database"]
    assert found[0]["status"] == "fix" and "cannot be read" in found[0]["detail"]


@pytest.mark.engine
def test_reachable_engine_reports_version_api_and_storage(docker_client, tmp_path):
    proc = doctor(tmp_path, "--format", "json", env={"DOCKER_HOST": os.environ.get("DOCKER_HOST", "")})
    engine = checks(proc)["engine"][0]
    version = docker_client.version()
    assert engine["status"] == "ok"
    assert f"Docker {version['Version']} (API {version['ApiVersion']})" in engine["detail"]
    assert f"storage {docker_client.info()['Driver']}" in engine["detail"]
