"""Connecting to the engine: DOCKER_HOST and friends are honoured by the docker SDK's from_env."""

from __future__ import annotations

import os
from typing import Any

from dockopt.errors import EngineError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
WHAT_TO_DO = ("start the Docker engine, point DOCKER_HOST at a running one, or in a dockopt "
              "checkout run `bash scripts/testenv.sh up` and export the DOCKER_HOST it prints")


def connect(timeout: int = 120) -> Any:
    """A docker client that has answered a ping, or EngineError (one line, exit 2)."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - a broken installation
        raise EngineError(f"the docker SDK is not installed: {exc}") from None
    where = os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        raise EngineError(f"cannot reach the Docker engine at {where} ({why_unreachable(exc)}): "
                          f"{WHAT_TO_DO}") from None
    return client


def why_unreachable(exc: BaseException) -> str:
    """A short reason from the exception chain, never the SDK's raw exception text."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, FileNotFoundError):
            return "no such socket"
        if isinstance(item, PermissionError):
            return "permission denied on the socket; add your user to the docker group"
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, TimeoutError) or "timed out" in str(item).lower():
            return "no answer in time"
        todo.extend([item.__cause__, item.__context__, *[a for a in item.args if isinstance(a, BaseException)]])
    text = str(exc)
    for hint, reason in (("No such file", "no such socket"), ("Permission denied", "permission denied on the socket"),
                         ("Connection refused", "connection refused"), ("Name or service not known", "unknown host")):
        if hint in text:
            return reason
    return "the engine did not answer"


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_not_found(exc: BaseException) -> bool:
    return getattr(getattr(exc, "response", None), "status_code", None) == 404
