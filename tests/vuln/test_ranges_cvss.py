"""The OSV range walk and CVSS scoring, on hand-made events and well-known vectors."""

from __future__ import annotations

import pytest

from dockopt.findings import Severity
from dockopt.vuln.cvss import base_score, severity_of_score
from dockopt.vuln.ranges import parse_events, walk
from dockopt.vuln.severity import UNRATED, rate


def ev(*pairs):
    return parse_events([{kind: version} for kind, version in pairs])


@pytest.mark.parametrize("installed,expected", [
    ("0.9", None), ("1.0", ("1.0", "1.5")), ("1.4.9", ("1.0", "1.5")), ("1.5", None), ("1.9", None),
    ("2.0", ("2.0", "2.3")), ("2.2.99", ("2.0", "2.3")), ("2.3", None), ("10.0", None),
])
def test_two_intervals_with_fixes(installed, expected):
    events = ev(("introduced", "2.0"), ("fixed", "2.3"), ("introduced", "1.0"), ("fixed", "1.5"))  # unsorted
    hit = walk(installed, "ECOSYSTEM", events, "pep440")
    assert (hit and (hit.introduced, hit.fixed)) == (expected or None)


def test_introduced_zero_and_last_affected():
    events = ev(("introduced", "0"), ("last_affected", "3.1.0"))
    hit = walk("3.1.0", "SEMVER", events, "semver")
    assert hit and hit.introduced == "0" and hit.last_affected == "3.1.0" and hit.fixed is None
    assert walk("3.1.1", "SEMVER", events, "semver") is None
    assert walk("0.0.1-alpha", "SEMVER", events, "semver") is not None


def test_open_ended_range_has_no_fix():
    hit = walk("9.9.9", "SEMVER", ev(("introduced", "1.0.0")), "semver")
    assert hit and hit.fixed is None and hit.last_affected is None


def test_limit_caps_the_range():
    events = ev(("introduced", "0"), ("limit", "2.0.0"))
    assert walk("1.9.9", "SEMVER", events, "semver") is not None
    assert walk("2.0.0", "SEMVER", events, "semver") is None
    assert walk("5.0.0", "SEMVER", ev(("introduced", "0"), ("limit", "*")), "semver") is not None


def test_debian_range_uses_dpkg_order():
    events = ev(("introduced", "0"), ("fixed", "3.0.11-1~deb12u2"))
    assert walk("3.0.11-1~deb12u1", "ECOSYSTEM", events, "debian") is not None
    assert walk("3.0.11-1~deb12u2", "ECOSYSTEM", events, "debian") is None
    assert walk("3.0.11-1", "ECOSYSTEM", events, "debian") is None  # ~ sorts before the release


@pytest.mark.parametrize("vector,score", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
    ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5),
    ("AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3),
    ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0),
])
def test_cvss_base_scores(vector, score):
    assert base_score(vector) == score


def test_severity_bands_and_sources():
    assert [severity_of_score(s) for s in (0.0, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0)] == [
        Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.MEDIUM, Severity.HIGH, Severity.HIGH, Severity.CRITICAL]
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    rating = rate([{"type": "CVSS_V3", "score": vector}], "LOW")
    assert rating.severity == Severity.CRITICAL and rating.score == 9.8 and "9.8" in rating.source
    assert rate([], "MODERATE").severity == Severity.MEDIUM
    assert rate([{"type": "Ubuntu", "score": "high"}], None).severity == Severity.HIGH
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert rate([{"type": "CVSS_V4", "score": v4}], "HIGH").severity == Severity.HIGH
    unrated = rate([], None)
    assert unrated.severity == UNRATED and "unrated" in unrated.source
