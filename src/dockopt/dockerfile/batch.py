"""Lint many Dockerfiles at once, in forked worker processes when there are many."""

from __future__ import annotations

import gc
import os
import pickle

from dockopt.dockerfile.lint import LintConfig, lint_dockerfile
from dockopt.dockerfile.parser import parse
from dockopt.findings import Finding

PARALLEL_FROM = 48
"""Below this many files, starting workers costs more than it saves."""


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


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def lint_texts(items: list[tuple[str, str]], config: LintConfig, jobs: int | None = None) -> list[Finding]:
    """Findings for (path, text) pairs, in input order.

    With many files the work is split into `jobs` parts: forked children lint all parts but the
    first (they inherit the inputs, so only their findings travel back through a pipe) while this
    process lints the first. A child that fails is made up for here, so the result never depends
    on the workers."""
    jobs = min(jobs or default_jobs(), 16)
    if jobs <= 1 or len(items) < PARALLEL_FROM or not hasattr(os, "fork"):
        return _lint_chunk(items, config)
    size = -(-len(items) // jobs)
    parts = [items[i:i + size] for i in range(0, len(items), size)]
    children: list[tuple[int, int, int]] = []  # (pid, read fd, part index)
    for index in range(1, len(parts)):
        child = _fork_worker(parts[index], config)
        if child is not None:
            children.append((child[0], child[1], index))
    results: list[list[Finding] | None] = [None] * len(parts)
    results[0] = _lint_chunk(parts[0], config)
    for pid, fd, index in children:
        results[index] = _collect(pid, fd)
    for index, found in enumerate(results):
        if found is None:  # the worker could not start or failed: do its part here
            results[index] = _lint_chunk(parts[index], config)
    return [f for found in results for f in found or ()]


def _fork_worker(part: list[tuple[str, str]], config: LintConfig) -> tuple[int, int] | None:
    try:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:  # the child: lint, send the pickled findings, leave without cleanup handlers
        status = 1
        try:
            os.close(read_fd)
            data = pickle.dumps(_lint_chunk(part, config), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    return pid, read_fd


def _collect(pid: int, read_fd: int) -> list[Finding] | None:
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    try:
        return pickle.loads(data)
    except Exception:  # a truncated message: treat the worker as failed
        return None
