"""What a test needs from the machine (the Docker engine, an oracle program such as `dpkg`,
`rpm`, `java` with Maven's jar) and what happens when it is missing: a skip on a developer's
machine, a failure when DOCKOPT_REQUIRE_ENGINE=1 (scripts/test.sh, CI), so a missing oracle
never turns a suite green by skipping silently."""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def required() -> bool:
    return os.environ.get("DOCKOPT_REQUIRE_ENGINE") == "1"


def unavailable(failure: str, skip: str) -> NoReturn:
    """Fail with `failure` when everything is required, else skip with `skip`."""
    if required():
        pytest.fail(failure)
    pytest.skip(skip)


def require_tools(*programs: str, files: tuple[str, ...] = (), install: str) -> None:
    """The oracle's programs on PATH and its files on disk; `install` says where they come from."""
    missing = [p for p in programs if shutil.which(p) is None] + [f for f in files if not os.path.exists(f)]
    if missing:
        what = ", ".join(missing)
        unavailable(f"oracle required but unavailable: {what} (install {install})",
                    f"oracle not installed: {what} (install {install})")
