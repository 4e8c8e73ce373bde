"""`dockopt doctor`: is this machine ready, and what to fix, one line each.

Each check returns `Check`s; none raises for what it finds (an unreachable engine is a result
here, not an error). The checks only read: nothing is created, downloaded or started.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

OK, WARN, FIX = "ok", "warn", "fix"


@dataclass(frozen=True)
class Check:
    area: str
    """What was checked: engine, registry, vulnerability database, cache, python."""
    status: str
    """ok, warn (works, but worth knowing) or fix (something dockopt needs is missing)."""
    detail: str
    """What was found."""
    fix: str = ""
    """What to do about it (empty when status is ok)."""

    def to_dict(self) -> dict[str, str]:
        return {"area": self.area, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class Diagnosis:
    checks: list[Check] = field(default_factory=list)

    @property
    def needs_fixing(self) -> bool:
        return any(c.status == FIX for c in self.checks)


def diagnose(db_path: Path, connect: Callable[[], Any] | None = None) -> Diagnosis:
    result = Diagnosis()
    result.checks += check_python()
    result.checks += check_engine(connect)
    result.checks += check_registry_credentials()
    result.checks += check_vuln_db(db_path)
    result.checks += check_cache_dir()
    return result


def check_python() -> list[Check]:
    from dockopt import __version__

    version = ".".join(map(str, sys.version_info[:3]))
    checks = [Check("dockopt", OK, f"dockopt {__version__} on Python {version} ({sys.executable})")]
    try:
        import cvss  # noqa: F401
    except ImportError:
        checks.append(Check("dockopt", WARN, "CVSS v4 vectors are shown but not scored",
                            "pip install 'dockopt[cvss4]' to score them"))
    return checks


def check_engine(connect: Callable[[], Any] | None = None) -> list[Check]:
    from dockopt.engine.client import DEFAULT_SOCKET, WHAT_TO_DO, why_unreachable

    where = os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
    try:
        import docker

        client = connect() if connect else docker.from_env(timeout=10)
        version = client.version()
        info = client.info()
    except Exception as exc:  # an unreachable engine is a finding here, not an error
        return [Check("engine", FIX, f"no Docker engine at {where} ({why_unreachable(exc)}); "
                      "lint, context, sbom --sbom inputs and archive/registry images work without one",
                      WHAT_TO_DO)]
    driver = info.get("Driver") or "?"
    driver_status = dict((pair[0], pair[1]) for pair in info.get("DriverStatus") or [] if len(pair) == 2)
    containerd_store = driver_status.get("driver-type") == "io.containerd.snapshotter.v1"
    store = "containerd image store" if containerd_store else "classic image store"
    detail = (f"Docker {version.get('Version', '?')} (API {version.get('ApiVersion', '?')}) at {where}, "
              f"{info.get('OSType', '?')}/{info.get('Architecture', '?')}, storage {driver}, {store}")
    checks = [Check("engine", OK, detail)]
    if containerd_store:
        checks.append(Check("engine", WARN, "the containerd image store saves images in the OCI layout; "
                            "dockopt reads it, but `disk` sizes come from the engine's own accounting"))
    return checks


def check_registry_credentials() -> list[Check]:
    if os.environ.get("DOCKOPT_REGISTRY_USERNAME"):
        return [Check("registry", OK, "credentials from DOCKOPT_REGISTRY_USERNAME/DOCKOPT_REGISTRY_PASSWORD"
                      + ("" if os.environ.get("DOCKOPT_REGISTRY_PASSWORD") else " (no password set)"))]
    folder = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    path = folder / "config.json"
    if not path.is_file():
        return [Check("registry", OK, f"no {path}: registries are read anonymously "
                      "(set DOCKOPT_REGISTRY_USERNAME/PASSWORD or `docker login` for private ones)")]
    try:
        from dockopt.safeload import load_json_object, read_regular_file

        config = load_json_object(read_regular_file(path, "docker config", 1 << 20), str(path))
    except Exception as exc:  # any unreadable config is a finding
        return [Check("registry", FIX, f"{path} cannot be read: {exc}", f"repair or remove {path}")]
    auths = config.get("auths") if isinstance(config.get("auths"), dict) else {}
    helpers = config.get("credHelpers") if isinstance(config.get("credHelpers"), dict) else {}
    store = config.get("credsStore") if isinstance(config.get("credsStore"), str) else None
    checks = [Check("registry", OK, f"{path}: credentials for {len(auths)} registr{'y' if len(auths) == 1 else 'ies'}"
                    + (f", helper '{store}'" if store else ""))]
    for name in sorted({store, *[h for h in helpers.values() if isinstance(h, str)]} - {None, ""}):
        if shutil.which(f"docker-credential-{name}") is None:
            checks.append(Check("registry", WARN, f"credential helper docker-credential-{name} is not on PATH",
                                "dockopt reads inline `auths` only; use DOCKOPT_REGISTRY_USERNAME/PASSWORD"))
    return checks


def check_vuln_db(db_path: Path) -> list[Check]:
    from dockopt.vuln.db import STALE_DAYS, VulnDB, feed_age, feed_is_stale

    if not db_path.is_file():
        return [Check("vulnerability database", FIX, f"{db_path} does not exist: `scan` has nothing to match",
                      "run `dockopt db update` (or `dockopt db import` offline)")]
    try:
        with VulnDB(db_path) as store:
            feeds = store.feeds()
            total = store.record_count()
    except Exception as exc:  # a damaged database is a finding
        return [Check("vulnerability database", FIX, f"{db_path} cannot be read: {exc}",
                      "run `dockopt db update` to rebuild it")]
    checks = [Check("vulnerability database", OK, f"{db_path}: {total} records in {len(feeds)} "
                    f"feed{'' if len(feeds) == 1 else 's'}")]
    stale = [f"{f.name} {feed_age(f.as_of)}" for f in feeds if feed_is_stale(f.as_of)]
    fresh = [f"{f.name} {feed_age(f.as_of)}" for f in feeds if not feed_is_stale(f.as_of)]
    if fresh:
        checks.append(Check("vulnerability database", OK, "current: " + ", ".join(fresh)))
    if stale:
        checks.append(Check("vulnerability database", WARN, f"older than {STALE_DAYS} days: " + ", ".join(stale),
                            "run `dockopt db update`"))
    return checks


def check_cache_dir() -> list[Check]:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dockopt"
    probe = cache if cache.exists() else next((p for p in cache.parents if p.exists()), Path("/"))
    if not os.access(probe, os.W_OK):
        return [Check("cache", FIX, f"{cache} is not writable", "set XDG_CACHE_HOME or DOCKOPT_DB to a writable place")]
    if not cache.exists():
        return [Check("cache", OK, f"{cache} (created when first needed)")]
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file() and not f.is_symlink())
    from dockopt.units import human_bytes

    return [Check("cache", OK, f"{cache}: {human_bytes(size)}")]
