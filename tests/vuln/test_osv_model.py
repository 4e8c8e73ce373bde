"""The OSV record model on the fixtures and on awkward hand-made records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockopt.vuln.osv import InvalidRecord, parse_record

OSV = Path(__file__).parent / "data" / "osv"


def test_fixture_record_parses_fully():
    record = parse_record(json.loads((OSV / "GO-2099-4001.json").read_text()))
    assert record.id == "GO-2099-4001" and record.aliases == ("CVE-2099-4001", "GHSA-aaaa-bbbb-cccc")
    assert record.modified == "0001-01-01T00:00:00Z"  # placeholder kept as text, never parsed as a date
    stdlib = record.affected[1]
    assert (stdlib.ecosystem, stdlib.name) == ("Go", "stdlib")
    assert stdlib.ranges[0].events == (("introduced", "0"), ("fixed", "1.20.10"), ("introduced", "1.21.0-0"),
                                       ("fixed", "1.21.3"))


def test_awkward_records():
    record = parse_record({
        "id": "X-1",
        "withdrawn": "2024-01-01T00:00:00Z",
        "affected": [
            {"ranges": [{"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "abc"}]}]},
            {"package": {"ecosystem": "PyPI", "name": "a"},
             "ranges": [{"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "abc"}]}]},
            {"package": {"ecosystem": "PyPI", "name": "b"}, "versions": ["1.0", 2],
             "database_specific": {"severity": "HIGH"}},
            "not a mapping",
        ],
        "severity": [{"type": "CVSS_V3"}],  # no score: dropped
        "extra_field": {"ignored": True},
    })
    assert record.withdrawn and record.severity == ()
    assert [a.name for a in record.affected] == ["a", "b"]  # the package-less entry is left out
    assert not record.affected[0].matchable  # GIT ranges hold commits
    assert record.affected[1].matchable and record.affected[1].versions == ("1.0", "2")
    assert record.affected[1].rating == "HIGH"


@pytest.mark.parametrize("value", [None, [], {"id": 5}, {"id": ""}, {"summary": "no id"}])
def test_not_records(value):
    with pytest.raises(InvalidRecord):
        parse_record(value)
