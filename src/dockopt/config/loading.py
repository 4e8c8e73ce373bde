"""Finding and loading the config file: `.dockopt.yaml` / `.dockopt.yml`, or `[tool.dockopt]` in
`pyproject.toml`. The file is one mapping with a section per command (`analyze:`, `lint:`,
`scan:` …); the whole of it is checked against `schema.CONFIG` once, when it is loaded.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

from dockopt.config.schema import CONFIG
from dockopt.errors import InputError
from dockopt.safeload import check_depth, load_yaml
from dockopt.shape import check

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
    """Load and check the whole config mapping. An explicit `path` must exist; otherwise search.
    Unknown keys are a warning on stderr (once per file), wrong types an InputError."""
    if path is None:
        found = find_config()
        if found is None:
            return {}
        path = found
    path = Path(path)
    text = read_user_text(path, "config file")
    if path.name == "pyproject.toml":
        try:
            data = tomllib.loads(text).get("tool", {}).get("dockopt", {})
        except tomllib.TOMLDecodeError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"config file {path} is not valid: {first}") from None
        what = f"{path} [tool.dockopt]"
        check_depth(data, what)
    else:
        what = str(path)
        data = load_yaml(text, what) or {}
    unknown = check(data, CONFIG, what, literal=True)
    if unknown and what not in _warned:
        _warned.add(what)
        for key in unknown:
            sys.stderr.write(f"dockopt: warning: {what}: unknown key {key} (ignored)\n")
    return data


_warned: set[str] = set()
"""Files already warned about: a command may load the config more than once."""


def section(config: dict[str, Any], name: str) -> dict[str, Any]:
    """One section (checked at load: a mapping or absent)."""
    value = config.get(name) or {}
    if not isinstance(value, dict):
        raise InputError(f"config section {name!r} must be a mapping")
    return value
