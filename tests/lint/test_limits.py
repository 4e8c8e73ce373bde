"""Lint stays linear in the file, and BuildKit's size limits bound what it reads."""

from __future__ import annotations

import gc
import time

from dockopt.dockerfile.lint import lint_text

from ..hostile import assert_clean_error, run_hostile

# One of each shape that used to rescan earlier instructions: package installs (DO101 asked
# "does the file use BuildKit?" per finding), ENV + pip (the stage environment was rebuilt per
# instruction), downloads and copies deleted later (DO104/DO105 tested every pending path),
# comments with ignores, volatile ARGs, EXPOSE of variables, COPY --from a misspelt stage.
_BLOCK = (
    "RUN apt-get update && apt-get install -y pkg{i}\n"
    "ENV PORT{i}=80{d}\n"
    "EXPOSE $PORT{i}\n"
    "RUN pip install p{i}\n"
    "# dockopt: ignore=DO106\n"
    "RUN curl -o /tmp/f{i} https://example.com/f{i}\n"
    "COPY a{i} /x/\n"
    "ARG GIT_COMMIT\n"
    "COPY --from=biuld /a /b{i}\n"
    "RUN rm /tmp/f{j} /x/a{j}\n"
)


def _dockerfile(instructions: int) -> str:
    blocks = instructions // 9  # nine instructions (and a comment) per block
    return "FROM debian:bookworm AS build\nFROM debian:bookworm\n" + "".join(
        _BLOCK.format(i=i, d=i % 10, j=max(i - 50, 0)) for i in range(blocks))


def _seconds(text: str) -> float:
    started = time.perf_counter()
    lint_text(text)
    return time.perf_counter() - started


def test_lint_time_is_linear_in_the_number_of_instructions() -> None:
    small, large = _dockerfile(10_000), _dockerfile(20_000)
    enabled = gc.isenabled()
    gc.disable()  # as the CLI runs lint; the collector's pauses are noise here
    try:
        lint_text(_dockerfile(900))  # warm-up (imports, regex caches)
        # interleaved, best of three each: the machine is shared, and load comes and goes
        t_small = t_large = float("inf")
        for _ in range(3):
            t_small = min(t_small, _seconds(small))
            t_large = min(t_large, _seconds(large))
    finally:
        if enabled:
            gc.enable()
    assert t_large <= 3 * t_small, f"10,000: {t_small:.2f} s, 20,000: {t_large:.2f} s"


def test_findings_still_come_from_every_shape() -> None:
    """The linear version still finds what the shapes above are about (a guard on the test)."""
    found = {f.rule_id for f in lint_text(_dockerfile(200))}
    assert {"DO101", "DO104", "DO105", "DO304", "DO406"} <= found


def test_a_50_mb_line_is_one_error_line_with_bounded_memory(tmp_path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM debian:bookworm\nRUN echo " + b"x" * (50 << 20) + b"\n")
    run = run_hostile("lint", str(path), address_space_mb=1024)
    assert_clean_error(run, match=r"Dockerfile.* larger than 16 MiB", max_rss_mb=200, max_seconds=60)


def test_a_50_mb_dockerfile_on_stdin_is_refused_the_same_way() -> None:
    run = run_hostile("lint", "-", input=b"FROM debian:bookworm\nRUN echo " + b"x" * (50 << 20) + b"\n",
                      address_space_mb=1024)
    assert_clean_error(run, match=r"standard input is too large: larger than 16 MiB", max_rss_mb=200, max_seconds=60)


def test_a_long_line_under_the_file_cap_is_one_finding(tmp_path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"FROM debian:bookworm\nRUN echo " + b"x" * (8 << 20) + b"\nUSER 10001\n")
    run = run_hostile("lint", "--format", "json", str(path), address_space_mb=1024)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stdout.count('"DO400"') == 1 and "greater than max allowed size of 65535" in run.stdout
    assert run.peak_rss_mb < 300, run.peak_rss_mb


def test_fix_time_is_linear_too() -> None:
    """`--fix` chose a round's fixes by testing every edit against every accepted one."""
    from dockopt.dockerfile.fix import fix_text

    def text(n: int) -> str:
        return "FROM debian:bookworm\n" + "".join(f"RUN apt-get update && apt-get install -y p{i}\n" for i in range(n))

    enabled = gc.isenabled()
    gc.disable()
    try:
        small = large = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            result = fix_text(text(2_000))
            small = min(small, time.perf_counter() - started)
            started = time.perf_counter()
            fix_text(text(4_000))
            large = min(large, time.perf_counter() - started)
    finally:
        if enabled:
            gc.enable()
    assert len(result.applied) == 3 * 2_000 - 1  # DO101 and DO102 on every RUN, DO106 on all but the first
    assert large <= 3 * small, f"2,000: {small:.2f} s, 4,000: {large:.2f} s"
