"""Every DOCKOPT_* environment variable dockopt reads, parsed in one place: a value that is set
but invalid is a UsageError naming the variable (one line, exit 2), never mistaken for
something else (DOCKOPT_ENGINE_TIMEOUT=abc used to read as "cannot reach the Docker engine").
An empty value counts as unset, as shells make it easy to set one by accident."""

from __future__ import annotations

import os
from pathlib import Path

from dockopt.errors import UsageError

ENGINE_TIMEOUT = "DOCKOPT_ENGINE_TIMEOUT"
DB = "DOCKOPT_DB"
REGISTRY_USERNAME = "DOCKOPT_REGISTRY_USERNAME"
REGISTRY_PASSWORD = "DOCKOPT_REGISTRY_PASSWORD"

MAX_TIMEOUT_SECONDS = 7 * 24 * 3600


def _value(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value else None


def engine_timeout(default: int = 300) -> int:
    """Seconds the docker SDK waits for one engine response ($DOCKOPT_ENGINE_TIMEOUT)."""
    text = _value(ENGINE_TIMEOUT)
    if text is None:
        return default
    try:
        seconds = int(text.strip())
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise UsageError(f"{ENGINE_TIMEOUT}={text!r} is invalid: expected a whole number of seconds "
                         f"from 1 to {MAX_TIMEOUT_SECONDS}")
    return seconds


def database_path() -> Path | None:
    """The vulnerability database file ($DOCKOPT_DB), if set."""
    text = _value(DB)
    if text is None:
        return None
    if text.endswith(os.sep) or os.path.isdir(text):
        raise UsageError(f"{DB}={text!r} is invalid: it names a directory, not a database file")
    return Path(text)


def registry_credentials() -> tuple[str, str] | None:
    """($DOCKOPT_REGISTRY_USERNAME, $DOCKOPT_REGISTRY_PASSWORD), both or neither."""
    user = _value(REGISTRY_USERNAME)
    password = os.environ.get(REGISTRY_PASSWORD)  # an empty password is a password
    if user is None and not password:
        return None
    if user is None:
        raise UsageError(f"{REGISTRY_PASSWORD} is set but {REGISTRY_USERNAME} is not")
    if password is None:
        raise UsageError(f"{REGISTRY_USERNAME} is set but {REGISTRY_PASSWORD} is not")
    return user, password
