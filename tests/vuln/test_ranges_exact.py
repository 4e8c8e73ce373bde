"""The OSV range walk at every edge: equal to introduced, fixed, last_affected and limit;
two intervals in one range; unsorted events; what the hit reports."""

from __future__ import annotations

import pytest

from dockopt.vuln.ranges import RangeHit, canonical_function, parse_events, prepare, walk

TWO = [("introduced", "3.0.0"), ("fixed", "4.0.0"), ("introduced", "1.0.0"), ("fixed", "2.0.0")]
SORTED_TWO = (("introduced", "1.0.0"), ("fixed", "2.0.0"), ("introduced", "3.0.0"), ("fixed", "4.0.0"))


@pytest.mark.parametrize("installed,hit", [
    ("0.9.9", None),
    ("1.0.0", RangeHit("SEMVER", "1.0.0", "2.0.0", None, SORTED_TWO)),
    ("1.9.9", RangeHit("SEMVER", "1.0.0", "2.0.0", None, SORTED_TWO)),
    ("2.0.0", None), ("2.5.0", None),
    ("3.0.0", RangeHit("SEMVER", "3.0.0", "4.0.0", None, SORTED_TWO)),
    ("4.0.0", None), ("9.0.0", None),
])
def test_two_intervals(installed, hit):
    assert walk(installed, "SEMVER", TWO, "semver") == hit


@pytest.mark.parametrize("installed,expected", [
    ("0.0.1", ("0", "1.2.0")), ("1.2.0", ("0", "1.2.0")), ("1.2.1", None),
])
def test_last_affected_is_inclusive(installed, expected):
    hit = walk(installed, "ECOSYSTEM", [("introduced", "0"), ("last_affected", "1.2.0")], "semver")
    if expected is None:
        assert hit is None
    else:
        assert (hit.introduced, hit.last_affected, hit.fixed) == (*expected, None)


def test_limits_cap_the_range():
    events = [("introduced", "0"), ("limit", "2.0.0"), ("limit", "*")]
    assert walk("1.9.9", "ECOSYSTEM", events, "semver") == RangeHit(
        "ECOSYSTEM", "0", None, None, (("introduced", "0"), ("limit", "2.0.0")))   # `*` caps nothing
    assert walk("2.0.0", "ECOSYSTEM", events, "semver") is None
    assert walk("3.0.0", "ECOSYSTEM", events, "semver") is None
    only_star = prepare("ECOSYSTEM", [("introduced", "0"), ("limit", "*")], "semver")
    assert only_star.limits == () and only_star.keyed == (("introduced", "0", None),)


def test_introduced_without_a_fix_stays_open():
    hit = walk("100.0.0", "ECOSYSTEM", [("introduced", "1.0.0")], "semver")
    assert hit == RangeHit("ECOSYSTEM", "1.0.0", None, None, (("introduced", "1.0.0"),))


def test_a_fix_before_any_introduced_does_not_open():
    assert walk("0.5.0", "ECOSYSTEM", [("fixed", "1.0.0")], "semver") is None
    assert walk("1.5.0", "ECOSYSTEM", [("introduced", "1.0.0"), ("fixed", "1.0.0")], "semver") is None


def test_prepared_order_puts_zero_first_and_keeps_ties():
    prepared = prepare("ECOSYSTEM", [("fixed", "1.0.0"), ("introduced", "1.0.0"), ("introduced", "0")], "semver")
    assert [(kind, version) for kind, version, _ in prepared.keyed] == [
        ("introduced", "0"), ("fixed", "1.0.0"), ("introduced", "1.0.0")]


def test_parse_events():
    raw = [{"introduced": "0"}, {"fixed": None, "last_affected": "1.0"}, {"limit": 2}, {"other": "x"},
           {"introduced": "1", "fixed": "2"}]
    assert parse_events(raw) == [("introduced", "0"), ("last_affected", "1.0"), ("limit", "2"), ("introduced", "1")]
    assert parse_events(None) == []


def test_canonical_functions():
    assert canonical_function("pep440")("1.0RC1") == "1.0rc1"
    assert canonical_function("semver")("v1.2.3+x") == "1.2.3"
    assert canonical_function("debian")(" 1.0 ") == "1.0"
    assert canonical_function(None)(" 1.0 ") == "1.0"


def test_the_closing_event_is_the_first_above_the_version():
    events = [("introduced", "0"), ("last_affected", "1.0.0"), ("introduced", "2.0.0"), ("fixed", "3.0.0")]
    assert walk("0.5.0", "ECOSYSTEM", events, "semver").last_affected == "1.0.0"
    assert walk("0.5.0", "ECOSYSTEM", events, "semver").fixed is None
    assert walk("2.5.0", "ECOSYSTEM", events, "semver").fixed == "3.0.0"
    assert walk("2.5.0", "ECOSYSTEM", events, "semver").last_affected is None
    assert walk("1.5.0", "ECOSYSTEM", events, "semver") is None
