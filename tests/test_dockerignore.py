"""Unit tests of the .dockerignore reader and matcher (engine agreement is in test_context_engine)."""

from __future__ import annotations

import pytest

from dockopt.dockerfile.dockerignore import (
    IgnorePatternError,
    PatternMatcher,
    clean_path,
    go_pattern_error,
    read_ignore_lines,
)


def test_reader_comments_trim_bom_crlf_and_cleaning():
    text = "\ufeff# comment\r\n  spaced.txt  \r\n #not-a-comment\n!  keep\n/abs\n./rel/\na//b/../c\n\n!\n"
    assert [p for _, p in read_ignore_lines(text)] == [
        "spaced.txt", "#not-a-comment", "!keep", "abs", "rel", "a/c", "!",
    ]
    assert [n for n, _ in read_ignore_lines(text)] == [2, 3, 4, 5, 6, 7, 9]


@pytest.mark.parametrize("raw,cleaned", [
    ("", "."), (".", "."), ("./", "."), ("a/./b/", "a/b"), ("a/../..", ".."), ("/../a", "/a"),
    ("//x//y", "/x/y"), ("../a/../b", "../b"),
])
def test_clean_path_is_go_filepath_clean(raw, cleaned):
    assert clean_path(raw) == cleaned


@pytest.mark.parametrize("pattern,bad", [
    ("a[", True), ("a[]", True), ("[a-]", True), ("[]a]", True), ("x\\", True), ("[a", True),
    ("[a-c]", False), ("[^a]", False), ("[\\]]", False), ("*.go", False), ("\\*", False), ("a]", False),
])
def test_go_match_syntax(pattern, bad):
    assert (go_pattern_error(pattern) is not None) == bad


def test_bad_pattern_is_an_input_error_with_line():
    with pytest.raises(IgnorePatternError, match=r"\.dockerignore:2: .*'a\['"):
        PatternMatcher.from_text("ok\na[\n")
    with pytest.raises(IgnorePatternError, match="illegal exclusion"):
        PatternMatcher.from_text("!\n")


CASES = [
    # pattern, path, excluded (buildkit dialect, no walk pruning involved)
    ("*.go", "a.go", True), ("*.go", "d/a.go", False), ("**/*.go", "d/e/a.go", True),
    ("**/*.go", "a.go", True), ("d/**", "d", False), ("d/**", "d/x/y", True), ("d", "d/x/y", True),
    ("**", "anything/at/all", True), ("d/**/x", "d/x", True), ("d/**/x", "d/a/b/x", True),
    ("?.q", "a.q", True), ("?.q", "ab.q", False), ("?", "/", False),
    ("file[0-9].dat", "file7.dat", True), ("file[0-9].dat", "fileA.dat", False),
    ("file[^0-9].dat", "fileA.dat", True), ("star\\*.txt", "star*.txt", True),
    ("star\\*.txt", "starx.txt", False), (".*", ".env", True), (".*", "sub/.env", False),
    ("a.b", "axb", False), ("a$b", "a$b", True), ("#x", "#x", True), ("a+b", "a+b", True),
    ("a+b", "aab", False), ("(x|y)", "(x|y)", True), ("{a}", "{a}", True),
    ("**qux", "barqux", True),  # patternmatcher's suffix fast path (regex would say no)
    ("foo**", "foobar/baz", True),
]


@pytest.mark.parametrize("pattern,path,excluded", CASES)
def test_buildkit_matching(pattern, path, excluded):
    assert PatternMatcher([pattern], "buildkit").excluded(path) is excluded


def test_last_match_wins_and_exceptions_reinclude():
    m = PatternMatcher(["*.md", "!README.md", "docs", "!docs/keep.md"], "buildkit")
    assert m.excluded("CHANGES.md") and not m.excluded("README.md")
    assert m.excluded("docs/a.md") and not m.excluded("docs/keep.md")
    m = PatternMatcher(["!README.md", "*.md"], "buildkit")
    assert m.excluded("README.md")  # an exception before the exclusion does nothing


def test_dialect_differences():
    # regex characters: escaped by patternmatcher >= 0.5, raw regex syntax in Docker 20.10
    assert PatternMatcher(["a+b"], "buildkit").excluded("a+b")
    assert not PatternMatcher(["a+b"], "legacy-classic").excluded("a+b")
    assert PatternMatcher(["a+b"], "legacy-classic").excluded("aab")
    # `**qux`: fast suffix path today, the regular expression `(.*/)?qux` in 20.10
    assert not PatternMatcher(["**qux"], "legacy-buildkit").excluded("barqux")
    # Docker 20.10 checks a single parent: the one with as many components as the pattern
    legacy = PatternMatcher(["**/foo", "!x/y/foo/keep"], "legacy-classic")
    assert not legacy.excluded("x/y/foo/other")
    assert PatternMatcher(["**/foo", "!x/y/foo/keep"], "buildkit").excluded("x/y/foo/other")
    # per-pattern parent results (MatchesUsingParentResults): a repeated pattern that was
    # skipped for the directory is not inherited by its entries
    patterns = ["dir", "!dir/x", "dir"]
    assert not PatternMatcher(patterns, "buildkit").excluded("dir/x/f")
    assert PatternMatcher(patterns, "legacy-buildkit").excluded("dir/x/f")


def test_walk_descent_rules():
    legacy = PatternMatcher(["dir", "!**/keep.txt"], "legacy-buildkit")
    modern = PatternMatcher(["dir", "!**/keep.txt"], "buildkit")
    assert not legacy.walk_into_excluded("dir")  # only a `dir/...` prefix keeps the walk going
    assert modern.walk_into_excluded("dir")  # any wildcard exception does
    assert PatternMatcher(["dir", "!dir/sub/**"], "buildkit").walk_into_excluded("dir")
    assert not PatternMatcher(["dir", "!other/x"], "buildkit").walk_into_excluded("dir")
    assert not PatternMatcher(["dir"], "buildkit").walk_into_excluded("dir")


# Behaviours found by the differential fuzz against the Go libraries (bench/context_oracle).
def test_go_quirks_found_by_the_oracle():
    bk = "buildkit"
    # `|`, `{`, `}` should have been escaped but overflow patternmatcher's bitmap: regex syntax,
    # yet they leave a pattern on the exact fast path when nothing else makes it a regex
    assert PatternMatcher(["{1}b"], bk).excluded("{1}b")
    assert PatternMatcher(["[ab]{2}"], bk).excluded("ab")
    assert PatternMatcher(["*|b"], bk).excluded("any/thing")  # `^[^/]*|b$`: the first branch always matches
    # a dangling backslash that the syntax check missed eats the `$` anchor
    assert PatternMatcher(["**/**\\"], bk).excluded("$x")
    # escaping a non-ASCII character is an error in Go's regexp
    with pytest.raises(IgnorePatternError):
        PatternMatcher(["x/\\é"], bk).excluded("x/é")


def test_regex_errors_surface_only_when_the_pattern_is_used():
    m = PatternMatcher(["a*["], "buildkit")  # passes Go's syntax check (it stops at the first chunk)
    with pytest.raises(IgnorePatternError, match="rejected by Docker"):
        m.excluded("anything")
    unused = PatternMatcher(["!a*["], "buildkit")  # an exception is only tried after a match
    assert unused.excluded("x") is False
    with pytest.raises(IgnorePatternError):  # Docker 20.10 evaluates every pattern for every path
        PatternMatcher(["!a*["], "legacy-classic").excluded("x")


def test_go_filepath_match_port():
    from dockopt.dockerfile.gopath import go_match

    assert go_match("*.go", "a.go") == (True, None)
    assert go_match("*.go", "d/a.go") == (False, None)
    assert go_match("a/*/c", "a/b/c") == (True, None)
    assert go_match("[^a]?", "bc") == (True, None)
    assert go_match("\\*", "*") == (True, None)
    assert go_match("a[", "a")[1] is not None
    assert go_match("x*[", ".") == (False, None)  # Go returns before checking the rest
