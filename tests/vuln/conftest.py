from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
OSV = DATA / "osv"


@pytest.fixture(scope="session")
def osv_dir() -> Path:
    return OSV


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory) -> Path:
    """A database holding every fixture record (built once, never modified by tests)."""
    from dockopt.vuln.importer import import_paths

    path = tmp_path_factory.mktemp("db") / "osv.sqlite3"
    import_paths(path, [OSV])
    return path


@pytest.fixture
def db_copy(fixture_db, tmp_path) -> Path:
    target = tmp_path / "osv.sqlite3"
    shutil.copyfile(fixture_db, target)
    return target
