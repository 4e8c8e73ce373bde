"""Configuration: `.dockopt.yaml` / `.dockopt.yml`, or `[tool.dockopt]` in `pyproject.toml`.

The file is one mapping with a section per command (`analyze:`, `lint:`, `scan:` …); each
command reads its own section. Keys use dashes (`fail-on`), as options do.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from dockopt.errors import InputError

CANDIDATES = (".dockopt.yaml", ".dockopt.yml")


def read_user_text(path: Path, what: str) -> str:
    """A UTF-8 text file the user named (config, ignore file); one clear error otherwise."""
    from dockopt.safeload import read_text_file  # regular files only, size-capped

    return read_text_file(path, what)


def find_config(start: Path | None = None) -> Path | None:
    """The first config file in `start` (default: the working directory) or its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in CANDIDATES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_section(pyproject):
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def _has_tool_section(path: Path) -> bool:
    try:
        return "dockopt" in tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def load_config(path: Path | str | None = None) -> dict[str, Any]:
    """Load the whole config mapping. An explicit `path` must exist; otherwise search."""
    if path is None:
        found = find_config()
        if found is None:
            return {}
        path = found
    path = Path(path)
    text = read_user_text(path, "config file")
    import yaml  # only when there is a config file: it costs a tenth of the start-up

    try:
        if path.name == "pyproject.toml":
            data = tomllib.loads(text).get("tool", {}).get("dockopt", {})
        else:
            data = yaml.safe_load(text) or {}
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"config file {path} is not valid: {first}") from None
    if not isinstance(data, dict):
        raise InputError(f"config file {path} must hold a mapping at the top level")
    return data


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise InputError(f"config section {name!r} must be a mapping")
    return value
