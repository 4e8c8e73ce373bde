"""Connecting to the engine: DOCKER_HOST and friends are honoured by the docker SDK's from_env."""

from __future__ import annotations

from typing import Any

from dockopt.errors import EngineError


def connect(timeout: int = 120) -> Any:
    """A docker client that has answered a ping, or EngineError (one line, exit 2)."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - a broken installation
        raise EngineError(f"the docker SDK is not installed: {exc}") from None
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        raise EngineError(f"cannot reach the Docker engine: {first_line(exc)}") from None
    return client


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_not_found(exc: BaseException) -> bool:
    return getattr(getattr(exc, "response", None), "status_code", None) == 404
