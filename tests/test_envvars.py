"""DOCKOPT_* environment variables: an invalid value is one line naming the variable, not an
error about something else."""

from __future__ import annotations

import pytest

from dockopt import envvars
from dockopt.errors import UsageError
from tests.hostile import assert_clean_error, run_hostile

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


@pytest.mark.parametrize("value", ["abc", "0", "-5", "1.5", "99999999999"])
def test_invalid_engine_timeout_is_named(value):
    out = run_hostile("analyze", "docker:busybox", env={**NO_ENGINE, "DOCKOPT_ENGINE_TIMEOUT": value})
    assert_clean_error(out, match=rf"DOCKOPT_ENGINE_TIMEOUT='{value}' is invalid: expected a whole number of seconds")
    assert "cannot reach" not in out.stderr


def test_valid_engine_timeout_reaches_the_engine_check():
    out = run_hostile("analyze", "docker:busybox", env={**NO_ENGINE, "DOCKOPT_ENGINE_TIMEOUT": "5"})
    assert_clean_error(out, match="cannot reach the Docker engine")


def test_database_variable_naming_a_directory(tmp_path):
    out = run_hostile("db", "status", env={"DOCKOPT_DB": str(tmp_path)})
    assert_clean_error(out, match="DOCKOPT_DB=.* is invalid: it names a directory")


def test_empty_variables_count_as_unset(monkeypatch):
    monkeypatch.setenv("DOCKOPT_ENGINE_TIMEOUT", "")
    monkeypatch.setenv("DOCKOPT_DB", "")
    monkeypatch.delenv("DOCKOPT_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("DOCKOPT_REGISTRY_PASSWORD", raising=False)
    assert envvars.engine_timeout(300) == 300
    assert envvars.database_path() is None
    assert envvars.registry_credentials() is None


def test_registry_credentials_need_both(monkeypatch):
    monkeypatch.setenv("DOCKOPT_REGISTRY_USERNAME", "alice")
    monkeypatch.delenv("DOCKOPT_REGISTRY_PASSWORD", raising=False)
    with pytest.raises(UsageError, match="DOCKOPT_REGISTRY_USERNAME is set but DOCKOPT_REGISTRY_PASSWORD is not"):
        envvars.registry_credentials()
    monkeypatch.setenv("DOCKOPT_REGISTRY_PASSWORD", "")
    assert envvars.registry_credentials() == ("alice", "")
    monkeypatch.delenv("DOCKOPT_REGISTRY_USERNAME")
    monkeypatch.setenv("DOCKOPT_REGISTRY_PASSWORD", "secret")
    with pytest.raises(UsageError, match="DOCKOPT_REGISTRY_PASSWORD is set but DOCKOPT_REGISTRY_USERNAME is not"):
        envvars.registry_credentials()
