"""Shared fixtures: the real Docker engine, images built once per session, the test registry.

Engine tests are marked `engine`. When DOCKOPT_REQUIRE_ENGINE=1 (set by scripts/test.sh) a
missing engine is an error, never a silent skip.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest

from tests.files import write_tree
from tests.oracles import unavailable

TEST_LABEL = "dockopt.test"
DEBIAN_BASE = "dockopt-test/debian:bookworm"
BUSYBOX_BASE = "dockopt-test/busybox:latest"
ROOT = Path(__file__).resolve().parent.parent


def _engine_missing(reason: str) -> None:
    unavailable(f"Docker engine required but unavailable: {reason}",
                f"no Docker engine: {reason} (run scripts/testenv.sh up and export the DOCKER_HOST it prints)")


@pytest.fixture(scope="session")
def docker_client():
    import docker

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:  # any failure to reach the engine
        _engine_missing(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    for base in (DEBIAN_BASE, BUSYBOX_BASE):
        try:
            client.images.get(base)
        except Exception:
            _engine_missing(f"base image {base} missing")
    return client


class ImageBuilder:
    """Builds each distinct (Dockerfile, files, builder) once per session; removes what it built."""

    def __init__(self, client) -> None:
        self.client = client
        self.built: dict[str, str] = {}

    def __call__(self, dockerfile: str, files: dict[str, str | bytes] | None = None,
                 buildkit: bool = False, name: str = "img") -> str:
        files = files or {}
        key = hashlib.sha256(json.dumps(
            [dockerfile, sorted((k, v if isinstance(v, str) else v.hex()) for k, v in files.items()), buildkit]
        ).encode()).hexdigest()[:16]
        tag = f"dockopt-test/{name}:{key}"
        if key in self.built:
            return self.built[key]
        # One build at a time on this machine, even across concurrent test runs (2 cores).
        lock_path = Path(os.environ.get("DOCKOPT_TESTENV_DIR", "/var/tmp/dockopt-testenv")) / "build.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._build(tag, dockerfile, files, buildkit)
        self.built[key] = tag
        return tag

    def _build(self, tag: str, dockerfile: str, files: dict[str, str | bytes], buildkit: bool) -> None:
        with tempfile.TemporaryDirectory(prefix="dockopt-ctx-") as ctx:
            ctx_path = Path(ctx)
            (ctx_path / "Dockerfile").write_text(dockerfile)
            write_tree(ctx_path, files)
            if buildkit:
                cli = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
                proc = subprocess.run(
                    [cli, "build", "--network", "host", "--label", f"{TEST_LABEL}=1", "-t", tag, ctx],
                    env={**os.environ, "DOCKER_BUILDKIT": "1"}, capture_output=True, text=True,
                )
                if proc.returncode != 0:
                    raise RuntimeError(f"buildkit build failed:\n{proc.stderr[-3000:]}")
            else:
                import docker.errors

                try:
                    self.client.images.build(path=ctx, tag=tag, labels={TEST_LABEL: "1"},
                                             network_mode="host", rm=True, forcerm=True)
                except docker.errors.BuildError as exc:
                    log = "".join(str(x.get("stream", x.get("error", ""))) for x in exc.build_log)
                    raise RuntimeError(f"build failed: {exc}\n{log[-3000:]}") from None

    def cleanup(self) -> None:
        if os.environ.get("DOCKOPT_TEST_KEEP_IMAGES") == "1":
            return
        for tag in self.built.values():
            try:
                self.client.images.remove(tag, noprune=False)
            except Exception:
                pass  # still used by a container of the test, or already gone


@pytest.fixture(scope="session")
def build_image(docker_client) -> Callable[..., str]:
    """`build_image(dockerfile, files={...}, buildkit=False, name="x")` -> tag of the built image."""
    builder = ImageBuilder(docker_client)
    yield builder
    builder.cleanup()


@pytest.fixture(scope="session")
def registry_addr() -> str:
    """host:port of the local test registry started by scripts/testenv.sh."""
    import urllib.request

    addr = os.environ.get("DOCKOPT_TEST_REGISTRY", "127.0.0.1:5055")
    try:
        urllib.request.urlopen(f"http://{addr}/v2/", timeout=3).read()
    except Exception as exc:
        _engine_missing(f"registry at {addr} unreachable: {exc}")
    return addr


def run_dockopt(*args: str, cwd: str | Path | None = None, input: str | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess: real exit codes, real stdout/stderr."""
    return subprocess.run([sys.executable, "-m", "dockopt", *args], cwd=cwd, input=input,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=900)


@pytest.fixture
def dockopt() -> Callable[..., subprocess.CompletedProcess]:
    return run_dockopt
