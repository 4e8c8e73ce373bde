"""OSV zips: every member is inflated with a running cap at its declared size, whatever its
compression method (stored, deflate, bzip2, lzma), so a member that lies about its size is
an error line, never gigabytes of memory."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import zipfile

import pytest

from tests.hostile import assert_clean_error, run_hostile

METHODS = {"stored": zipfile.ZIP_STORED, "deflate": zipfile.ZIP_DEFLATED,
           "bzip2": zipfile.ZIP_BZIP2, "lzma": zipfile.ZIP_LZMA}
BOMB_BYTES = 192 << 20
"""What the lying member really inflates to: far above the RSS bound the test asserts."""


def _record(rid: str) -> bytes:
    return json.dumps({"id": rid, "modified": "2025-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "PyPI", "name": "foo"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}]}).encode()


def _zip(members: dict[str, bytes], method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _lie_about_size(data: bytes, claimed: int) -> bytes:
    """Rewrite the uncompressed size in the (only) local header and central directory entry."""
    out = bytearray(data)
    for offset in (22, out.rindex(b"PK\x01\x02") + 24):
        out[offset:offset + 4] = struct.pack("<I", claimed)
    return bytes(out)


def _zeros_member(method: int) -> bytes:
    # Written through ZipFile.open so the zeros are compressed in chunks, not held whole.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method, compresslevel=1 if method != zipfile.ZIP_LZMA else None) as archive:
        info = zipfile.ZipInfo("bomb.json")
        info.compress_type = method
        with archive.open(info, "w") as member:
            chunk = bytes(1 << 20)
            for _ in range(BOMB_BYTES >> 20):
                member.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_imports(method, tmp_path):
    from dockopt.vuln.importer import import_paths

    archive = tmp_path / "all.zip"
    archive.write_bytes(_zip({"R-1.json": _record("R-1"), "R-2.json": _record("R-2")}, METHODS[method]))
    stats = import_paths(tmp_path / "db.sqlite3", [archive])
    assert stats.records == 2
    with sqlite3.connect(tmp_path / "db.sqlite3") as conn:
        assert {r[0] for r in conn.execute("SELECT id FROM records")} == {"R-1", "R-2"}


@pytest.mark.parametrize("method", ["deflate", "bzip2", "lzma"])
def test_member_inflating_past_its_declared_size_is_one_line(method, tmp_path):
    data = _lie_about_size(_zeros_member(METHODS[method]), 100)
    archive = tmp_path / "all.zip"
    archive.write_bytes(data)
    run = run_hostile("db", "import", "--db", str(tmp_path / "db.sqlite3"), str(archive))
    assert_clean_error(run, r"all\.zip: not a readable zip archive \(CRC or size mismatch in bomb\.json\)",
                       max_rss_mb=150)
    assert not (tmp_path / "db.sqlite3").exists()


@pytest.mark.parametrize("method", ["deflate", "bzip2", "lzma"])
def test_truncated_or_garbage_member_is_one_line(method, tmp_path):
    data = bytearray(_zip({"R-1.json": _record("R-1") * 50}, METHODS[method]))
    start = data.index(b"R-1.json") + len("R-1.json")  # the local header's name ends here
    data[start + 8:start + 40] = b"\xa5" * 32
    archive = tmp_path / "all.zip"
    archive.write_bytes(bytes(data))
    run = run_hostile("db", "import", "--db", str(tmp_path / "db.sqlite3"), str(archive))
    assert_clean_error(run, r"all\.zip: not a readable zip archive")


def test_unsupported_method_is_one_line(tmp_path):
    data = bytearray(_zip({"R-1.json": _record("R-1")}, zipfile.ZIP_DEFLATED))
    # method 9 (deflate64) in both headers: zipfile knows no such decompressor
    for offset in (8, data.rindex(b"PK\x01\x02") + 10):
        data[offset:offset + 2] = struct.pack("<H", 9)
    archive = tmp_path / "all.zip"
    archive.write_bytes(bytes(data))
    run = run_hostile("db", "import", "--db", str(tmp_path / "db.sqlite3"), str(archive))
    assert_clean_error(run, r"unsupported compression method 9")

