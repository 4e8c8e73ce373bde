"""The database: import (files, directories, zips, YAML), update from a mirror (a real HTTP
server on 127.0.0.1, file:// and plain paths), conditional requests, atomic swap, status."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest

from dockopt.vuln.db import VulnDB


def _zip_of(records: list[dict]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    return buffer.getvalue()


def _record(rid: str, name: str, fixed: str, ecosystem: str = "PyPI", **extra) -> dict:
    return {"id": rid, "modified": "2025-01-01T00:00:00Z", "aliases": [f"CVE-{rid}"], **extra,
            "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}


def _ids(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM records")}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- import -------------------------------------------------------------------------------

def test_import_directory_keeps_aliases_drops_withdrawn_and_git_only(fixture_db):
    ids = _ids(fixture_db)
    assert "PYSEC-2099-3999" not in ids  # withdrawn
    assert {"DSA-9001-1", "GO-2099-4001", "GHSA-test-rack", "GHSA-j8r2-6x86-q33q"} <= ids  # YAML included
    with VulnDB(fixture_db) as db:
        record = db.record("GHSA-j8r2-6x86-q33q")
        assert record.aliases == ("CVE-2023-32681", "PYSEC-2023-74")
        # PyPI names are stored normalised; the GIT range is dropped, the ECOSYSTEM one kept.
        rows = db.affected("PyPI", "requests")
        assert [r.record_id for r in rows] == ["GHSA-j8r2-6x86-q33q"]
        assert [r["type"] for r in rows[0].ranges] == ["ECOSYSTEM"]
        # A record whose only ranges are commits has nothing to match versions against.
        assert db.affected("PyPI", "requests") and "OSV-2099-GIT" in ids
        assert db.ecosystem_counts()["Debian:12"] == 2
        # The GO record's placeholder dates (0001-01-01) are ignored for the feed's as-of time.
        feeds = {f.name: f for f in db.feeds()}
        assert feeds["Go"].records == 3 and feeds["Go"].as_of == "2024-01-01T00:00:00Z"
        assert db.record("GO-2099-4001").modified == "0001-01-01T00:00:00Z"


def test_import_zip_and_reimport_replaces(tmp_path, dockopt):
    db = tmp_path / "v.sqlite3"
    first = tmp_path / "a.zip"
    first.write_bytes(_zip_of([_record("R-1", "foo", "1.0"), _record("R-2", "bar", "2.0")]))
    result = dockopt("db", "import", str(first), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "imported 2 records" in result.stdout
    second = tmp_path / "r1.json"
    second.write_text(json.dumps(_record("R-1", "baz", "3.0")))
    assert dockopt("db", "import", str(second), "--db", str(db)).returncode == 0
    with VulnDB(db) as store:
        assert store.affected("PyPI", "foo") == []  # the old affected rows went with the old record
        assert [r.record_id for r in store.affected("PyPI", "baz")] == ["R-1"]
        assert store.record_count() == 2


def test_import_bad_input_leaves_database_untouched(tmp_path, fixture_db, dockopt):
    db = tmp_path / "v.sqlite3"
    db.write_bytes(fixture_db.read_bytes())
    before = _digest(db)
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": "X-1", "affected": [')
    result = dockopt("db", "import", str(broken), "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.startswith("dockopt: error: ") and "broken.json" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _digest(db) == before
    not_osv = tmp_path / "list.json"
    not_osv.write_text('[{"name": "x"}]')
    assert dockopt("db", "import", str(not_osv), "--db", str(db)).returncode == 2
    assert dockopt("db", "import", str(tmp_path / "missing"), "--db", str(db)).returncode == 2
    assert _digest(db) == before
    assert list(tmp_path.glob(".v.sqlite3.*")) == []  # no temporary copies left behind


def test_status_shows_feeds_counts_and_age(fixture_db, dockopt):
    result = dockopt("db", "status", "--db", str(fixture_db))
    assert result.returncode == 0, result.stderr
    assert "Debian:12" in result.stdout and "Alpine:v3.19" in result.stdout
    data = json.loads(dockopt("db", "status", "--db", str(fixture_db), "--format", "json").stdout)
    assert data["schema_version"] == 1
    feeds = {f["name"]: f for f in data["feeds"]}
    assert feeds["PyPI"]["records"] == 3  # requests, jinja2, the GIT-only record; withdrawn one excluded
    assert feeds["Debian"]["as_of"] == "2025-04-01T00:00:00Z"  # newest `modified` of the imported records
    assert data["ecosystems"]["Debian:12"] == 2 and data["ecosystems"]["Debian:11"] == 1


def test_missing_database_is_a_clear_error(tmp_path, dockopt):
    result = dockopt("db", "status", "--db", str(tmp_path / "none.sqlite3"))
    assert result.returncode == 2
    assert "dockopt db update" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database")
    result = dockopt("db", "status", "--db", str(junk))
    assert result.returncode == 2 and "not a dockopt vulnerability database" in result.stderr


# --- update from a mirror -------------------------------------------------------------------

class Mirror:
    """A tiny OSV-bucket-like HTTP server: /<Ecosystem>/all.zip with ETag support."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.fail_with: int | None = None
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                headers = {k: v for k, v in self.headers.items()}
                body = mirror.files.get(self.path)
                if mirror.fail_with:
                    status = mirror.fail_with
                elif body is None:
                    status = 404
                else:
                    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                    status = 304 if self.headers.get("If-None-Match") == etag else 200
                mirror.requests.append((self.path, headers, status))
                self.send_response(status)
                if status == 200:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirror():
    server = Mirror()
    yield server
    server.close()


def test_update_over_http_with_conditional_requests(tmp_path, mirror, dockopt):
    mirror.files["/PyPI/all.zip"] = _zip_of([_record("P-1", "foo", "1.0"),
                                             _record("P-2", "bar", "2.0", withdrawn="2025-01-02T00:00:00Z")])
    mirror.files["/crates.io/all.zip"] = _zip_of([_record("C-1", "smallvec", "1.6.1", ecosystem="crates.io")])
    db = tmp_path / "v.sqlite3"
    args = ("db", "update", "--db", str(db), "--mirror", mirror.url, "-e", "PyPI", "-e", "crates.io")
    first = dockopt(*args)
    assert first.returncode == 0, first.stderr
    assert "PyPI: updated, 1 records, 1 withdrawn skipped" in first.stdout
    assert _ids(db) == {"P-1", "C-1"}
    assert [r[2] for r in mirror.requests] == [200, 200]

    second = dockopt(*args)
    assert second.returncode == 0, second.stderr
    assert "PyPI: not-modified" in second.stdout
    conditional = mirror.requests[2:]
    assert [r[2] for r in conditional] == [304, 304]
    assert all("If-None-Match" in r[1] and "If-Modified-Since" in r[1] for r in conditional)
    assert _ids(db) == {"P-1", "C-1"}

    mirror.files["/PyPI/all.zip"] = _zip_of([_record("P-3", "baz", "3.0")])
    third = dockopt(*args)
    assert third.returncode == 0 and "PyPI: updated, 1 records" in third.stdout
    assert _ids(db) == {"P-3", "C-1"}  # the PyPI feed was replaced, crates.io kept
    status = json.loads(dockopt("db", "status", "--db", str(db), "--format", "json").stdout)
    pypi = next(f for f in status["feeds"] if f["name"] == "PyPI")
    assert pypi["source"] == f"{mirror.url}/PyPI/all.zip" and pypi["data_modified"] == "2025-01-01T00:00:00Z"


def test_failing_server_leaves_database_intact(tmp_path, mirror, dockopt):
    mirror.files["/PyPI/all.zip"] = _zip_of([_record("P-1", "foo", "1.0")])
    mirror.files["/Go/all.zip"] = _zip_of([_record("G-1", "golang.org/x/net", "0.17.0", ecosystem="Go")])
    db = tmp_path / "v.sqlite3"
    base = ("db", "update", "--db", str(db), "--mirror", mirror.url, "-e", "PyPI", "-e", "Go")
    assert dockopt(*base).returncode == 0
    before = _digest(db)
    mirror.fail_with = 503
    mirror.files["/PyPI/all.zip"] = _zip_of([_record("P-9", "new", "1.0")])
    failed = dockopt(*base, "--retries", "2")
    assert failed.returncode == 2
    assert "HTTP 503" in failed.stderr and "database is unchanged" in failed.stderr
    assert len([r for r in mirror.requests if r[2] == 503]) == 3  # 1 try + 2 retries, then gave up
    assert _digest(db) == before
    # Half a set of exports is never applied either: Go missing (404) after PyPI changed.
    mirror.fail_with = None
    del mirror.files["/Go/all.zip"]
    missing = dockopt(*base)
    assert missing.returncode == 2 and "HTTP 404" in missing.stderr
    assert _digest(db) == before
    assert [p.name for p in tmp_path.iterdir()] == ["v.sqlite3"]  # no downloads or copies left


def test_damaged_export_leaves_database_intact(tmp_path, mirror, dockopt):
    good = _zip_of([_record("P-1", "foo", "1.0"), _record("P-2", "bar", "2.0")])
    mirror.files["/PyPI/all.zip"] = good
    db = tmp_path / "v.sqlite3"
    args = ("db", "update", "--db", str(db), "--mirror", mirror.url, "-e", "PyPI")
    assert dockopt(*args).returncode == 0
    before = _digest(db)
    damaged = bytearray(_zip_of([_record("P-3", "baz", "3.0"), _record("P-4", "qux", "4.0")]))
    damaged[40:48] = b"XXXXXXXX"  # inside the first member's compressed data: CRC no longer matches
    mirror.files["/PyPI/all.zip"] = bytes(damaged)
    result = dockopt(*args)
    assert result.returncode == 2 and "damaged" in result.stderr and "database is unchanged" in result.stderr
    assert _digest(db) == before
    mirror.files["/PyPI/all.zip"] = b"<html>captive portal</html>"
    result = dockopt(*args)
    assert result.returncode == 2 and "damaged" in result.stderr
    assert _digest(db) == before


def test_offline_is_one_clear_line(tmp_path, dockopt):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = dockopt("db", "update", "--db", str(tmp_path / "v.sqlite3"), "--mirror", f"http://127.0.0.1:{port}",
                     "-e", "PyPI", "--retries", "1")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("dockopt: error:")]
    assert len(lines) == 1 and "offline?" in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "v.sqlite3").exists()


def test_update_from_local_mirror_path_and_file_url(tmp_path, dockopt):
    mirror = tmp_path / "mirror"
    (mirror / "Alpine").mkdir(parents=True)
    (mirror / "Alpine" / "all.zip").write_bytes(_zip_of([_record("A-1", "musl", "1.2.4-r3", ecosystem="Alpine:v3.19")]))
    db = tmp_path / "v.sqlite3"
    first = dockopt("db", "update", "--db", str(db), "--mirror", str(mirror))
    assert first.returncode == 0, first.stderr
    assert "Alpine: updated, 1 records" in first.stdout
    again = dockopt("db", "update", "--db", str(db), "--mirror", f"file://{mirror}")
    assert "Alpine: not-modified" in again.stdout
    with VulnDB(db) as store:
        assert [r.record_id for r in store.affected("Alpine:v3.19", "musl")] == ["A-1"]


def test_zip_member_lying_about_its_size_is_rejected(tmp_path, dockopt):
    """A member that inflates to more than its declared size (a zip bomb) is refused, not inflated."""
    import struct
    import zlib

    payload = json.dumps(_record("B-1", "foo", "1.0")).encode() + b" " * 5_000_000
    compressed = zlib.compress(payload)[2:-4]  # raw deflate
    name = b"B-1.json"
    crc = zlib.crc32(payload)
    declared = 1000  # the lie
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(compressed), declared,
                        len(name), 0) + name + compressed
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(compressed),
                          declared, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(local + central + end)
    result = dockopt("db", "import", str(bomb), "--db", str(tmp_path / "v.sqlite3"))
    assert result.returncode == 2 and "not a readable zip archive" in result.stderr
    assert not (tmp_path / "v.sqlite3").exists()
