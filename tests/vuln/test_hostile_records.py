"""OSV records and SBOMs of the wrong shape, size or depth: refused at import (or skipped with a
note in an export), tolerated row by row at scan time, never a false clean result."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from dockopt.vuln.importer import load_records
from dockopt.vuln.db import create_schema
from tests.hostile import assert_clean_error, run_hostile

HUGE = "1" + "0" * 5000


def record(**changes) -> dict:
    base = {"id": "PYSEC-HOSTILE-1", "modified": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.31.0"}]}]}]}
    base.update(changes)
    return base


def affected(**changes) -> list[dict]:
    entry = dict(record()["affected"][0])
    entry.update(changes)
    return [entry]


RECORD_CASES = {
    "a 5,000-digit version": (record(affected=affected(ranges=[{"type": "ECOSYSTEM", "events": [
        {"introduced": "0"}, {"fixed": HUGE}]}])),
        r"record PYSEC-HOSTILE-1: affected\[0\]\.ranges\[0\]\.events\[1\]\.fixed: expected a string "
        r"\(1 to 256 characters\), got a string of 5001 characters$"),
    "a huge listed version": (record(affected=affected(versions=["1.0", HUGE])),
                              r"affected\[0\]\.versions\[1\]: expected a string \(1 to 256 characters\)"),
    "affected a string": ({"id": "X-1", "affected": "all"},
                          r"record X-1: affected: expected a list of at most 100000 objects, got a string$"),
    "ranges an object": (record(affected=affected(ranges={"type": "ECOSYSTEM"})),
                         r"affected\[0\]\.ranges: expected a list of at most 1000 objects, got an object$"),
    "events a string": (record(affected=affected(ranges=[{"type": "ECOSYSTEM", "events": "0"}])),
                        r"affected\[0\]\.ranges\[0\]\.events: expected a list of at most 10000 objects"),
    "too many events": (record(affected=affected(ranges=[{"type": "ECOSYSTEM", "events": [
        {"introduced": str(i)} for i in range(10_001)]}])),
        r"affected\[0\]\.ranges\[0\]\.events: expected a list of at most 10000 objects, got a list of 10001 items$"),
    "an event version a number": (record(affected=affected(ranges=[{"type": "ECOSYSTEM", "events": [
        {"introduced": 0}]}])), r"affected\[0\]\.ranges\[0\]\.events\[0\]\.introduced: expected a string"),
    "package name a list": (record(affected=affected(package={"ecosystem": "PyPI", "name": ["requests"]})),
                            r"affected\[0\]\.package\.name: expected a string, got a list$"),
    "aliases a string": (record(aliases="CVE-1"), r"record PYSEC-HOSTILE-1: aliases: expected a list of strings"),
    "severity an object": (record(severity={"type": "CVSS_V3"}), r"severity: expected a list of objects"),
}


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_import_refuses_a_record_of_the_wrong_shape(case, tmp_path):
    doc, message = RECORD_CASES[case]
    source = tmp_path / "record.json"
    source.write_text(json.dumps(doc))
    db = tmp_path / "osv.sqlite3"
    run = run_hostile("db", "import", str(source), "--db", str(db))
    field = message.split(": ", 1)[1] if message.startswith("record ") else message
    record_id = re.escape(doc["id"])
    assert_clean_error(run, rf"^dockopt: error: \S+record\.json: record {record_id}: " + field)
    assert not db.exists()  # nothing half-imported


@pytest.mark.parametrize("name, text, message", [
    ("deep.json", '{"id": "X-1", "affected": ' + "[" * 100_000 + "]" * 100_000 + "}",
     r"deep\.json: nested deeper than 100 levels$"),
    ("bomb.yaml", "id: X-1\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)),
     r"bomb\.yaml: aliases expand to more than \d+ nodes( at line \d+)?$"),
    ("deep.yaml", "id: X-1\naffected: " + "[" * 5000 + "]" * 5000, r"deep\.yaml: (nested|not valid YAML \(exceeded maximum nesting depth)"),
])
def test_import_refuses_hostile_documents_in_bounded_memory(name, text, message, tmp_path):
    source = tmp_path / name
    source.write_text(text)
    run = run_hostile("db", "import", str(source), "--db", str(tmp_path / "osv.sqlite3"))
    assert_clean_error(run, message, max_rss_mb=250, max_seconds=60)


def test_an_export_skips_a_bad_record_with_a_note_and_keeps_the_rest():
    conn = sqlite3.connect(":memory:")
    create_schema(conn)
    bad = json.dumps(RECORD_CASES["a 5,000-digit version"][0]).encode()
    good = json.dumps(record(id="PYSEC-GOOD-1")).encode()
    stats = load_records(conn, [("all.zip!bad.json", bad), ("all.zip!good.json", good)], feed="PyPI", strict=False)
    assert stats.records == 1
    assert len(stats.invalid) == 1 and "all.zip!bad.json: record PYSEC-HOSTILE-1: affected[0].ranges[0]" \
                                      ".events[1].fixed" in stats.invalid[0]
    assert [r[0] for r in conn.execute("SELECT id FROM records")] == ["PYSEC-GOOD-1"]


def sbom(tmp_path: Path, doc: dict | str) -> Path:
    path = tmp_path / "bom.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


REQUESTS = {"type": "library", "name": "requests", "version": "2.25.0", "purl": "pkg:pypi/requests@2.25.0"}


def test_scan_skips_a_malformed_row_with_a_note_and_still_reports_the_rest(db_copy, tmp_path):
    """A database written before import checks (or handed over) holds a 5,000-digit version and a
    row nested past the cap: the scan notes both and still finds the requests advisory."""
    with sqlite3.connect(db_copy) as conn:
        rows = conn.execute("SELECT record_id, ranges FROM affected WHERE name = 'requests'").fetchall()
        assert rows
        conn.execute("INSERT INTO affected VALUES ('PYSEC-HUGE', 'PyPI', 'requests', ?, '[]', NULL, NULL)",
                     (json.dumps([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": HUGE}]}]),))
        conn.execute("INSERT INTO affected VALUES ('PYSEC-DEEP', 'PyPI', 'requests', ?, '[]', NULL, NULL)",
                     ("[" * 5000 + "]" * 5000,))
        conn.execute("INSERT INTO records VALUES ('PYSEC-HUGE', 'PyPI', NULL, NULL, '[]', NULL, NULL, NULL, '{}')")
    run = run_hostile("scan", "--sbom", str(sbom(tmp_path, {"bomFormat": "CycloneDX", "specVersion": "1.5",
                                                            "components": [REQUESTS]})),
                      "--db", str(db_copy), "--format", "json")
    assert "Traceback" not in run.stderr and run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert "GHSA-j8r2-6x86-q33q" in {m["id"] for m in report["matches"]}
    notes = [n for n in report["notes"] if "skipped a malformed row" in n]
    assert any("PYSEC-HUGE" in n and "got a string of 5001 characters" in n for n in notes), report["notes"]
    assert any("PYSEC-DEEP" in n and "nested deeper than" in n for n in notes), report["notes"]


SBOM_CASES = {
    "CycloneDX components a string": ({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": "x"},
                                      r"SBOM \S+bom\.json: components: expected a list of objects, got a string$"),
    "CycloneDX component a string": ({"bomFormat": "CycloneDX", "components": ["pkg:pypi/requests@2.25.0"]},
                                     r"components\[0\]: expected an object, got a string$"),
    "CycloneDX purl a number": ({"bomFormat": "CycloneDX", "components": [{**REQUESTS, "purl": 5}]},
                                r"components\[0\]\.purl: expected a string, got a number$"),
    "CycloneDX nested components a string": (
        {"bomFormat": "CycloneDX", "components": [{**REQUESTS, "components": "x"}]},
        r"components\[0\]\.components: expected a list of objects, got a string$"),
    "SPDX packages an object": ({"spdxVersion": "SPDX-2.3", "packages": {"name": "requests"}},
                                r"packages: expected a list of objects, got an object$"),
    "SPDX externalRefs a string": ({"spdxVersion": "SPDX-2.3", "packages": [{"name": "r", "externalRefs": "x"}]},
                                   r"packages\[0\]\.externalRefs: expected a list of objects, got a string$"),
    "deep SBOM": ('{"bomFormat": "CycloneDX", "components": ' + "[" * 100_000 + "]" * 100_000 + "}",
                  r"SBOM \S+: nested deeper than 100 levels$"),
}


@pytest.mark.parametrize("case", list(SBOM_CASES))
def test_an_sbom_of_the_wrong_shape_is_refused_not_scanned_clean(case, fixture_db, tmp_path):
    doc, message = SBOM_CASES[case]
    run = run_hostile("scan", "--sbom", str(sbom(tmp_path, doc)), "--db", str(fixture_db))
    assert_clean_error(run, message, max_seconds=60)


def test_an_sbom_on_stdin_is_capped_and_named(fixture_db):
    run = run_hostile("scan", "--sbom", "-", "--db", str(fixture_db),
                      input='{"bomFormat": "CycloneDX", "components": "x"}')
    assert_clean_error(run, r"^dockopt: error: SBOM stdin: components: expected a list of objects, got a string$")
