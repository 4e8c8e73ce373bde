"""Lint many Dockerfiles at once, in parallel worker processes when there are many."""

from __future__ import annotations

import gc
import os

from dockopt.dockerfile.lint import LintConfig, lint_dockerfile
from dockopt.dockerfile.parser import parse
from dockopt.findings import Finding

PARALLEL_FROM = 48
"""Below this many files, starting workers costs more than it saves."""

# Inputs handed to forked workers by inheritance rather than by pickling.
_ITEMS: list[tuple[str, str]] = []
_CONFIG: LintConfig | None = None


def _lint_chunk(chunk: list[tuple[str, str]], config: LintConfig) -> list[Finding]:
    # The cyclic garbage collector would walk every live parse tree again and again while
    # thousands of small objects are made; nothing here builds cycles worth collecting early.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [f for path, text in chunk for f in lint_dockerfile(parse(text, path), config)]
    finally:
        if enabled:
            gc.enable()


def _lint_range(bounds: tuple[int, int]) -> list[Finding]:
    assert _CONFIG is not None
    return _lint_chunk(_ITEMS[bounds[0]:bounds[1]], _CONFIG)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def lint_texts(items: list[tuple[str, str]], config: LintConfig, jobs: int | None = None) -> list[Finding]:
    """Findings for (path, text) pairs, in input order. `jobs` None: one worker per CPU for many
    files (forked workers share the inputs; only findings travel back)."""
    jobs = min(jobs or default_jobs(), 16)
    if jobs <= 1 or len(items) < PARALLEL_FROM or not hasattr(os, "fork"):
        return _lint_chunk(items, config)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _ITEMS, _CONFIG
    _ITEMS, _CONFIG = items, config
    try:
        parts = jobs * 2  # a little finer than one part per worker, to even out the load
        size = -(-len(items) // parts)
        bounds = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return [f for part in pool.map(_lint_range, bounds) for f in part]
    finally:
        _ITEMS, _CONFIG = [], None
