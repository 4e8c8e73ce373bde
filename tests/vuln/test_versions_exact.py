"""Exact behaviour of the version schemes at the edges their oracles do not reach: surrounding
whitespace, colons inside upstream versions, and the messages of rejected versions."""

from __future__ import annotations

import pytest

from dockopt.vuln.versions import InvalidVersion, compare
from dockopt.vuln.versions.debian import split


def test_debian_split():
    assert split(" 1:2.0:1-3~b ") == (1, "2.0:1", "3~b")   # dpkg strips blanks; only the first ':' is the epoch
    assert split("2.0") == (0, "2.0", "")
    assert split("1.0-2-3") == (0, "1.0-2", "3")             # the last '-' starts the revision
    assert compare("debian", "\t1.0\n", "1.0") == 0
    assert compare("debian", "1:2:0", "1:2:1") == -1


@pytest.mark.parametrize("text,message", [
    ("x:1.0", "bad epoch in Debian version 'x:1.0'"),
    ("abc", "not a Debian version: 'abc'"),
    ("1.0-a_b", "not a Debian version: '1.0-a_b'"),
    ("1.0 2", "not a Debian version: '1.0 2'"),
    ("-1", "not a Debian version: '-1'"),
])
def test_debian_rejections_name_the_version(text, message):
    with pytest.raises(InvalidVersion) as info:
        split(text)
    assert str(info.value) == message


def test_debian_revision_charset():
    assert split("1.0-1+deb12u1~bpo") == (0, "1.0", "1+deb12u1~bpo")
    assert split("1.0-A.b") == (0, "1.0", "A.b")


@pytest.mark.parametrize("a,b,expected", [
    (" 1.0.0\n", "1.0.0", 0), ("go1", "1", 0), ("go1.21", "1.21.0", 0), ("v1", "1.0.0", 0), ("V1.2.3", "1.2.3", 0),
    ("1", "1.0.0", 0), ("1.2.0", "1.1.9", 1), ("1.0.10", "1.0.9", 1), ("1.10.0", "1.9.9", 1),
    ("1.0.0-1", "1.0.0-alpha", -1), ("1.0.0-alpha.1", "1.0.0-alpha.a", -1), ("1.0.0-2", "1.0.0-10", -1),
    ("1.0.0-rc.1", "1.0.0", -1), ("1.0.0-x", "1.0.0-x.1", -1),
])
def test_semver_order(a, b, expected):
    assert compare("semver", a, b) == expected
    assert compare("semver", b, a) == -expected


@pytest.mark.parametrize("text", ["go", "v", "vx", "gox", "", "1.0.0-", "1.0.0+", "01a"])
def test_semver_rejections(text):
    with pytest.raises(InvalidVersion) as info:
        compare("semver", text, "1.0.0")
    assert str(info.value) == f"not a semantic version: {text!r}"


def test_semver_canonical():
    from dockopt.vuln.versions.semver import canonical
    assert canonical("v1.2.3+incompatible") == "1.2.3"
    assert canonical(" go1.21.3 ") == "1.21.3"
    assert canonical("1.0.0-rc.1+b.2") == "1.0.0-rc.1"


@pytest.mark.parametrize("a,b,expected", [
    (" 1.0 ", "1.0", 0), ("1.0-beta", "1.0.pre.beta", 0), ("1.0-beta", "1.0.beta", 1), ("1.a.0", "1.a", 0),
    ("1.a.1", "1.a", 1), ("1.a", "1.0.1", -1), ("1.a", "1", -1), ("1.0.0.0", "1", 0), ("1.B", "1.a", -1),
])
def test_rubygems_order(a, b, expected):
    assert compare("rubygems", a, b) == expected
    assert compare("rubygems", b, a) == -expected


@pytest.mark.parametrize("text", ["abc", "1..0", "-1", "1.0_x"])
def test_rubygems_rejections(text):
    with pytest.raises(InvalidVersion) as info:
        compare("rubygems", text, "1")
    assert str(info.value) == f"not a RubyGems version: {text.strip()!r}"
