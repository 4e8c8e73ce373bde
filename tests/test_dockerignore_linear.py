""".dockerignore matching in linear time: RE2 instead of backtracking, a candidate index instead
of trying every pattern on every path, and the same decisions as before on ordinary patterns
(a differential test against the former Python `re` implementation)."""

from __future__ import annotations

import gc
import random
import time
from pathlib import Path

import pytest

from dockopt.dockerfile.dockerignore import DIALECTS, IgnorePatternError, PatternMatcher
from tests.dockerignore_reference import ReferenceMatcher
from tests.files import write_tree
from tests.hostile import assert_clean_error, run_hostile

# Pieces of patterns that Python's `re` handles without blow-up (at most a few wildcards), but
# that cover the fast paths, classes, escapes, `**` in every position and regex syntax.
_PIECES = ["a", "b", "ab", "x.log", ".d", "c$", "*", "?", "**", "[ab]", "[^a]", "[a-c]", "\\*", "\\.",
           "\\d", "{2}", "|b", "+", "(a)"]
_NAMES = ["a", "b", "ab", "aa", "x.log", ".d", "c$", "*", "1", "ba", "abab", "c"]


# Where the former matcher was not Docker's: Python 3.11 reads a repetition after a repetition
# (`**+`, `a{2}+` in the legacy dialects) as possessive; Go, like RE2, rejects it (asserted below).
_STACKED = ("*+", "++", "}+", "?+", "**/+")


def _random_pattern(rng: random.Random) -> str:
    while True:
        parts = []
        for _ in range(rng.randint(1, 3)):
            piece = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 3)))
            parts.append(piece)
        text = "/".join(parts)
        if not any(s in text for s in _STACKED):
            return ("!" if rng.random() < 0.25 else "") + text


def _random_path(rng: random.Random) -> str:
    return "/".join(rng.choice(_NAMES) for _ in range(rng.randint(1, 4)))


def _decisions(matcher, paths: list[str]) -> list[object]:
    """Per path: excluded through the walk (inherited info), excluded alone, or the error."""
    out: list[object] = []
    for path in paths:
        try:
            info = None
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                walked, info = matcher.match("/".join(parts[:depth]), info)
            alone, _ = matcher.match(path, None)
            out.append((walked, alone))
        except IgnorePatternError:
            out.append("error")
    return out


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_same_decisions_as_the_former_matcher(dialect):
    rng = random.Random(f"dockerignore-{dialect}")
    compared = errors = 0
    for _ in range(400):
        lines = [(n, _random_pattern(rng)) for n in range(1, rng.randint(1, 6) + 1)]
        paths = [_random_path(rng) for _ in range(25)]
        try:
            reference = ReferenceMatcher(lines, dialect)
        except IgnorePatternError:
            with pytest.raises(IgnorePatternError):
                PatternMatcher(lines, dialect)
            continue
        expected = _decisions(reference, paths)
        assert _decisions(PatternMatcher(lines, dialect), paths) == expected, lines
        compared += len(paths)
        errors += expected.count("error")
    # the corpus must exercise both matches and errors, or it proves nothing
    assert compared > 5000 and 0 < errors < compared / 2


@pytest.mark.parametrize("dialect", list(DIALECTS))
def test_index_skips_nothing_that_matches(dialect):
    """Every pattern alone versus all of them together: the candidate index drops no hit."""
    rng = random.Random(f"index-{dialect}")
    for _ in range(300):
        text = _random_pattern(rng).lstrip("!")
        try:
            reference = ReferenceMatcher([text], dialect)
            matcher = PatternMatcher([text, "zz-unrelated", "**/zz-other", "zz/**"], dialect)
            for _ in range(20):
                path = _random_path(rng)
                assert matcher.match(path)[0] == reference.match(path)[0], (text, path)
        except IgnorePatternError:
            continue


def test_walk_into_excluded_uses_the_exception_directories():
    matcher = PatternMatcher(["build", "!build/keep/x", "other"], "legacy-classic")
    assert matcher.walk_into_excluded("build") and matcher.walk_into_excluded("build/keep")
    assert not matcher.walk_into_excluded("other") and not matcher.walk_into_excluded("buil")


def test_with_pattern_shares_compiled_patterns_and_keeps_order():
    base = PatternMatcher(["*.log", "!keep.log"])
    extended = base.with_pattern("keep.log")
    assert extended.patterns[:2] == base.patterns and len(extended.patterns) == 3
    assert not base.match("keep.log")[0] and extended.match("keep.log")[0]


def test_undecodable_names_count_as_one_character():
    # Go ranges over an invalid byte as one U+FFFD rune: `?` matches it, as `[^/]` did before.
    matcher = PatternMatcher(["a?b", "c\\d"], "buildkit")
    assert matcher.match("a\udcffb")[0]
    assert not matcher.match("a\udcff\udcfeb")[0]
    # a pattern made from such a name (as --fix suggests) compiles and matches it
    assert PatternMatcher(["**/x\udcff*"], "buildkit").match("d/x\udcffy")[0]


@pytest.mark.parametrize("repeats", [14, 40])
def test_repeated_double_star_then_mismatch_is_fast(repeats):
    matcher = PatternMatcher(["**/" * repeats + "nomatch"])
    path = "/".join(["d"] * 40) + "/file"
    started = time.monotonic()
    assert not matcher.excluded(path) and not matcher.match(path, None)[0]
    assert time.monotonic() - started < 1.0


def test_star_runs_are_linear_in_the_path():
    """`*a*a*a…b` backtracks polynomially in `re`; RE2's time grows with the input only."""
    matcher = PatternMatcher(["*a" * 12 + "b"])
    short, long = "a" * 2_000, "a" * 8_000
    started = time.monotonic()
    matcher.match(short, None)
    first = time.monotonic() - started
    started = time.monotonic()
    assert not matcher.match(long, None)[0]
    second = time.monotonic() - started
    assert second < 1.0 and second <= 20 * max(first, 1e-3)


def _context(tmp_path: Path, ignore: str) -> Path:
    root = tmp_path / "ctx"
    write_tree(root, {"Dockerfile": "FROM scratch\nCOPY . /app\n", ".dockerignore": ignore,
                      "/".join(["d"] * 30) + "/f.txt": "x\n", "src/app.py": "print(1)\n"})
    return root


def test_context_with_pathological_pattern_finishes(tmp_path):
    root = _context(tmp_path, "**/" * 14 + "nomatch\n")
    run = run_hostile("context", "--list", str(root), timeout=60)
    assert run.returncode == 0 and run.seconds < 20, (run.returncode, run.stderr[-2000:])
    assert {"src/app.py", "/".join(["d"] * 30) + "/f.txt"} <= set(run.stdout.split())


@pytest.mark.parametrize("pattern, message", [
    ("*a{99999999999}", r"\.dockerignore:1: pattern '\*a\{99999999999\}' is rejected by Docker "
                        r"\(invalid repeat count"),
    ("*x{1001}", r"rejected by Docker \(invalid repetition size"),
    ("*x{2}{3}", r"rejected by Docker \(bad repetition operator"),
    ("[z-a]", r"rejected by Docker \(invalid character class range"),
])
def test_patterns_go_rejects_are_one_line(tmp_path, pattern, message):
    root = _context(tmp_path, pattern + "\n")
    assert_clean_error(run_hostile("context", str(root)), message, max_seconds=30)


def test_stacked_repetition_is_rejected_as_go_does():
    with pytest.raises(IgnorePatternError, match="bad repetition operator"):
        PatternMatcher(["**+"], "legacy-classic").match("x")


def test_repeat_counts_as_go_reads_them():
    # legacy dialects run every pattern as an expression; buildkit takes `a{2}` literally
    assert PatternMatcher(["a{2}"], "legacy-classic").match("aa")[0]
    assert PatternMatcher(["a{2}"], "buildkit").match("a{2}")[0]
    assert PatternMatcher(["a{0999999999}"], "legacy-classic").match("a{0999999999}")[0]  # leading 0: text
    with pytest.raises(IgnorePatternError, match="invalid repeat count"):
        PatternMatcher(["a{1,999999999}"], "legacy-classic").match("a")


@pytest.mark.parametrize("dialect", ["buildkit", "legacy-classic"])
def test_hundred_thousand_patterns_stay_linear_and_small(tmp_path, dialect):
    lines = []
    for i in range(100_000):
        lines.append([f"dir{i}/file{i}.txt", f"build{i}/**", f"**/cache{i}", f"src/*{i}.log"][i % 4])
    files = {f"d{i}/sub/f.txt": "x\n" for i in range(200)}
    files.update({f"d{i}/a.log": "y\n" for i in range(200)})
    files.update({"src/x3.log": "z\n", "dir0/file0.txt": "u\n", "d3/cache2/f": "w\n", "build5/k": "v\n", "Dockerfile": "FROM scratch\n"})
    root = tmp_path / "ctx"
    write_tree(root, {**files, ".dockerignore": "\n".join(lines) + "\n"})
    run = run_hostile("context", "--list", "--dialect", dialect, str(root), timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    sent = set(run.stdout.split())
    assert "d7/sub/f.txt" in sent and "Dockerfile" in sent
    assert not {"src/x3.log", "d3/cache2/f", "build5/k", "dir0/file0.txt"} & sent  # the index finds each kind
    assert run.peak_rss_mb < 200 and run.seconds < 60, (run.peak_rss_mb, run.seconds)


def test_matching_time_grows_linearly_with_the_patterns():
    """Doubling both the patterns and the paths doubles a walk's time; the former matcher's
    time was their product (four times)."""
    def walk_seconds(count: int) -> float:
        lines = [[f"dir{i}/file{i}.txt", f"build{i}/**", f"**/cache{i}", f"src/*{i}.log"][i % 4]
                 for i in range(count)]
        matcher = PatternMatcher(lines)
        paths = [f"d{i}/sub/f{i}.txt" for i in range(count // 2)]
        best = float("inf")
        gc.disable()  # the patterns are many objects: keep collections out of the timing
        try:
            for _ in range(3):  # best of three: a busy machine only adds time
                started = time.monotonic()
                for path in paths:
                    info = None
                    parts = path.split("/")
                    for depth in range(1, len(parts) + 1):
                        _, info = matcher.match("/".join(parts[:depth]), info)
                best = min(best, time.monotonic() - started)
        finally:
            gc.enable()
        return best

    small, large = walk_seconds(20_000), walk_seconds(40_000)
    assert large <= 3 * max(small, 0.05), (small, large)
