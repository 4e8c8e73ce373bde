"""The one way untrusted bytes become data: regular-file reads, JSON and YAML with caps.

Every reader of a document that a user, an image or a registry hands us goes through here, so
that size, nesting depth, alias expansion and file type are bounded in one place and every
failure is the project's own error (one line, exit 2), never RecursionError or MemoryError.
Callers pass the error class of their domain (`InputError`, `ImageFormatError`,
`RegistryError`) and a short description of the document for the message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from dockopt.errors import DockoptError, InputError

MAX_DOCUMENT = 16 << 20
"""Default cap on one JSON/YAML document (image configs and manifests are kilobytes)."""
MAX_DEPTH = 100
"""Default cap on nesting (real documents stay under 20 levels)."""
MAX_YAML_NODES = 200_000
"""Cap on the nodes a YAML document expands to once aliases are followed (alias bombs)."""

_KIND = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def file_kind(mode: int) -> str:
    """'a FIFO', 'a directory' … for a stat mode (for messages)."""
    return _KIND.get(stat.S_IFMT(mode), "not a regular file")


def open_regular(path: str | Path, what: str, error: type[DockoptError] = InputError) -> int:
    """Open `path` for reading only if it is (or a symlink resolves to) a regular file.

    O_NONBLOCK keeps the open of a FIFO from waiting for a writer; the type is checked on the
    opened descriptor (fstat), so a swap between check and open cannot slip a device through.
    Returns a file descriptor the caller owns.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{what} {path} is {file_kind(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular_file(path: str | Path, what: str, max_bytes: int = MAX_DOCUMENT,
                      error: type[DockoptError] = InputError) -> bytes:
    """The whole content of a regular file of at most `max_bytes`; one clear error otherwise."""
    fd = open_regular(path, what, error)
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise error(f"{what} {path} is too large ({size} bytes; the limit is {max_bytes})")
        chunks = []
        total = 0
        while True:  # read to EOF with the cap applied, in case the file grows meanwhile
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise error(f"{what} {path} is too large (over {max_bytes} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text_file(path: str | Path, what: str, max_bytes: int = MAX_DOCUMENT,
                   error: type[DockoptError] = InputError) -> str:
    """A regular UTF-8 text file (a BOM is kept for the caller to handle)."""
    data = read_regular_file(path, what, max_bytes, error)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{what} {path} is not UTF-8 text") from None


def check_depth(value: Any, what: str, max_depth: int = MAX_DEPTH,
                error: type[DockoptError] = InputError) -> None:
    """Reject containers nested deeper than `max_depth` (iteratively: no recursion here)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item  # type: ignore[assignment]
        else:
            continue
        if depth > max_depth:
            raise error(f"{what}: nested deeper than {max_depth} levels")
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))


def load_json(data: bytes | str, what: str, *, max_bytes: int = MAX_DOCUMENT,
              max_depth: int = MAX_DEPTH, error: type[DockoptError] = InputError) -> Any:
    """Parse one untrusted JSON document with a size and a depth cap."""
    if len(data) > max_bytes:
        raise error(f"{what}: JSON document too large ({len(data)} bytes; the limit is {max_bytes})")
    import orjson  # orjson bounds its own recursion (1024) and is several times faster

    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise error(f"{what}: nested deeper than {max_depth} levels") from None
        raise error(f"{what}: invalid JSON ({_first_line(exc)})") from None
    check_depth(value, what, max_depth, error)
    return value


def load_json_object(data: bytes | str, what: str, **caps: Any) -> dict[str, Any]:
    """`load_json` for documents whose top level must be an object."""
    error = caps.get("error", InputError)
    value = load_json(data, what, **caps)
    if not isinstance(value, dict):
        raise error(f"{what}: expected a JSON object, got {type_name(value)}")
    return value


def load_yaml(text: str | bytes, what: str, *, max_bytes: int = MAX_DOCUMENT,
              max_depth: int = MAX_DEPTH, max_nodes: int = MAX_YAML_NODES,
              error: type[DockoptError] = InputError) -> Any:
    """Parse one untrusted YAML document (plain data only) with size, depth and alias caps.

    Built from parser events without recursion (`safeyaml`); scalars mean what they mean in
    `yaml.safe_load`. A bad value (a date like 2025-13-45) is an error naming its line.
    """
    if len(text) > max_bytes:
        raise error(f"{what}: YAML document too large ({len(text)} bytes; the limit is {max_bytes})")
    import yaml

    from dockopt import safeyaml

    try:
        return safeyaml.load(text, max_depth, max_nodes)
    except safeyaml.YamlRefused as exc:
        raise error(f"{what}: {exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{what}: not valid YAML ({_yaml_problem(exc)})") from None


def _yaml_problem(exc: Exception) -> str:
    problem = getattr(exc, "problem", None) or _first_line(exc)
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}" if mark is not None else str(problem)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def type_name(value: Any) -> str:
    """JSON's name for a value's type, for shape errors ('a string', 'a list' …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "a list", str: "a string", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
