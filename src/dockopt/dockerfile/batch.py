"""Lint many Dockerfiles at once, in parallel worker processes when there are many."""

from __future__ import annotations

import gc
import os

from dockopt.dockerfile.lint import LintConfig, lint_dockerfile
from dockopt.dockerfile.parser import parse
from dockopt.findings import Finding

PARALLEL_FROM = 48
"""Below this many files, starting workers costs more than it saves."""


def _lint_chunk(chunk: list[tuple[str, str]], config: LintConfig) -> list[list[Finding]]:
    # The cyclic garbage collector would walk every live parse tree again and again while
    # thousands of small objects are made; nothing here builds cycles worth collecting early.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [lint_dockerfile(parse(text, path), config) for path, text in chunk]
    finally:
        if enabled:
            gc.enable()


def lint_texts(items: list[tuple[str, str]], config: LintConfig, jobs: int | None = None) -> list[Finding]:
    """Findings for (path, text) pairs, in input order."""
    jobs = jobs or 1
    if jobs <= 1 or len(items) < PARALLEL_FROM:
        return [f for found in _lint_chunk(items, config) for f in found]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(8, len(items) // (jobs * 4))
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        results = pool.map(_lint_chunk, chunks, [config] * len(chunks))
        return [f for chunk in results for found in chunk for f in found]
