"""Loading OSV records into the store: from JSON/YAML files, directories and zip archives
(the per-ecosystem `all.zip` exports are zips of one JSON record per file)."""

from __future__ import annotations

import bz2
import json
import lzma
import mmap
import os
import sqlite3
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

try:  # orjson writes the rows 3-4x faster; the standard library is the fallback
    import orjson

    def _dumps(value: Any) -> str:
        return orjson.dumps(value).decode()
except ImportError:  # pragma: no cover
    def _dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

from dockopt.errors import InputError
from dockopt.safeload import load_json, load_yaml, open_regular, read_regular_file
from dockopt.shape import check
from dockopt.treewalk import walk_tree
from dockopt.vuln.db import feed_row, now_iso, parse_time, writing
from dockopt.vuln.ecosystems import base_ecosystem, normalize_name
from dockopt.vuln.osv import RECORD, parse_record

RECORD_SUFFIXES = (".json", ".yaml", ".yml")
MAX_RECORD_BYTES = 64 * 1024 * 1024
"""Largest record file accepted from an archive (real OSV records are kilobytes)."""


@dataclass
class LoadStats:
    records: int = 0
    """Records stored (new or replaced)."""
    withdrawn: int = 0
    """Withdrawn records skipped (and removed if an earlier version was stored)."""
    invalid: list[str] = field(default_factory=list)
    """Documents that were not OSV records, with the reason."""
    feeds: dict[str, int] = field(default_factory=dict)
    newest_modified: dict[str, str] = field(default_factory=dict)
    """Per feed, the newest `modified` time among its records (placeholder dates ignored)."""


def parse_document(name: str, data: bytes) -> list[dict[str, Any]]:
    """The OSV records in one file: a JSON/YAML object, or a list of them, each shape-checked
    (an InputError names the file, the record and the field)."""
    if name.endswith((".yaml", ".yml")):
        value = load_yaml(data, name, max_bytes=MAX_RECORD_BYTES)
    else:
        value = load_json(data, name, max_bytes=MAX_RECORD_BYTES)
    records = value if isinstance(value, list) else [value]
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
            raise InputError(f"{name}: not an OSV record (no string `id`)")
        check(record, RECORD, f"{name}: record {record['id'][:80]}")
    return records


def iter_documents(path: Path) -> Iterator[tuple[str, bytes]]:
    """(display name, bytes) of every record file in a file, directory or zip."""
    if path.is_dir():
        for child in _record_files(path):
            yield from iter_documents(child)
        return
    if not os.path.lexists(path):
        raise InputError(f"{path}: no such file or directory")
    os.close(open_regular(path, "OSV data"))  # a FIFO or a device: one line, before any read
    if path.suffix == ".zip" or zipfile.is_zipfile(path):
        yield from iter_zip(path)
        return
    yield str(path), read_regular_file(path, "OSV record")


def _record_files(folder: Path) -> list[Path]:
    """Record files and zips under `folder`, any depth (walked iteratively), sorted by path;
    links to files count, links to folders are not walked into."""
    found: list[Path] = []

    def visit(rel: str, path: str, info: os.stat_result, _: None) -> tuple[bool, None]:
        if stat.S_ISDIR(info.st_mode):
            return True, None
        child = Path(path)
        if (child.suffix in RECORD_SUFFIXES or child.suffix == ".zip") and child.is_file():
            found.append(child)
        return False, None

    walk_tree(folder, visit, None)
    return sorted(found)


def iter_zip(path: Path) -> Iterator[tuple[str, bytes]]:
    """Members of a zip. zipfile reads the central directory; members are inflated straight
    from a memory map (zipfile's per-member file objects cost more than inflating itself),
    and each member's CRC-32 is checked."""
    try:
        with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir() and i.filename.endswith(RECORD_SUFFIXES)]
            if not infos:
                return
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                for info in infos:
                    yield f"{path}!{info.filename}", _member_bytes(data, info)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError, struct.error, ValueError) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc})") from None


def _member_bytes(data: mmap.mmap, info: zipfile.ZipInfo) -> bytes:
    offset = info.header_offset
    if data[offset:offset + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", data[offset + 26:offset + 30])
    start = offset + 30 + name_len + extra_len
    if info.file_size > MAX_RECORD_BYTES:
        raise zipfile.BadZipFile(f"{info.filename} claims {info.file_size} bytes; OSV records are far smaller")
    if info.flag_bits & 0x1:
        raise zipfile.BadZipFile(f"{info.filename} is encrypted")
    compressed = memoryview(data)[start:start + info.compress_size]
    try:
        content = _inflate(compressed, info)
    finally:
        compressed.release()
    if zlib.crc32(content) != info.CRC or len(content) != info.file_size:
        raise zipfile.BadZipFile(f"CRC or size mismatch in {info.filename}")
    return content


def _inflate(compressed: memoryview, info: zipfile.ZipInfo) -> bytes:
    """A member's content, never more than one byte past its declared size, whatever the
    method: a member that lies about its size (a zip bomb) cannot make us allocate more.
    Each decompressor is handed the output bound (`max_length`) rather than inflating whole."""
    limit = info.file_size + 1
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        return bytes(compressed[:limit])
    if method == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15).decompress(compressed, limit)
    if method == zipfile.ZIP_BZIP2:
        return bz2.BZ2Decompressor().decompress(compressed, limit)
    if method == zipfile.ZIP_LZMA:
        return _lzma_decompressor(compressed).decompress(compressed[4 + _lzma_props_size(compressed):], limit)
    raise zipfile.BadZipFile(f"{info.filename}: unsupported compression method {method}")


def _lzma_props_size(compressed: memoryview) -> int:
    if len(compressed) < 4:
        raise zipfile.BadZipFile("truncated LZMA header")
    return struct.unpack("<H", compressed[2:4])[0]


def _lzma_decompressor(compressed: memoryview) -> lzma.LZMADecompressor:
    # APPNOTE 5.8.8: a zip LZMA member starts with a 2-byte version, a 2-byte properties size
    # and the LZMA1 properties (lc/lp/pb packed in one byte, then a 32-bit dictionary size).
    size = _lzma_props_size(compressed)
    props = bytes(compressed[4:4 + size])
    if size != 5 or len(props) != 5 or props[0] >= 9 * 5 * 5:
        raise zipfile.BadZipFile("invalid LZMA properties")
    packed, dict_size = props[0], struct.unpack("<I", props[1:5])[0]
    lc, rest = packed % 9, packed // 9
    lp, pb = rest % 5, rest // 5
    return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[
        {"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}])


def _severity_json(entries) -> list[dict[str, str]]:
    return [{"type": e.type, "score": e.score} for e in entries]


BATCH = 5000
"""Records written per batch: bounds memory on large exports (npm, Debian) without slowing
small ones."""


class _Batch:
    """Rows waiting to be written. A record id seen twice keeps its last version only."""

    def __init__(self) -> None:
        self.records: dict[str, tuple] = {}
        self.affected: dict[str, list[tuple]] = {}
        self.withdrawn: set[str] = set()

    def flush(self, conn: sqlite3.Connection) -> None:
        # Replace earlier versions of these records wholesale, and drop withdrawn ones.
        gone = [(rid,) for rid in self.records] + [(rid,) for rid in self.withdrawn]
        conn.executemany("DELETE FROM affected WHERE record_id = ?", gone)
        conn.executemany("DELETE FROM records WHERE id = ?", [(rid,) for rid in self.withdrawn])
        conn.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.records.values())
        conn.executemany("INSERT INTO affected VALUES (?, ?, ?, ?, ?, ?, ?)",
                         [row for rows in self.affected.values() for row in rows])
        self.records.clear()
        self.affected.clear()
        self.withdrawn.clear()


def load_records(conn: sqlite3.Connection, documents: Iterable[tuple[str, bytes]],
                 feed: str | None, strict: bool = True) -> LoadStats:
    """Insert or replace records. `feed` None: each record goes to the feed named after its
    first affected ecosystem (imports). With strict, a malformed document is an error;
    otherwise it is counted in `invalid` and skipped (a bad record in a big export)."""
    stats = LoadStats()
    batch = _Batch()
    stored: set[str] = set()
    newest: dict[str, str] = {}
    for name, data in documents:
        try:
            records = parse_document(name, data)
        except InputError as exc:
            if strict:
                raise
            stats.invalid.append(str(exc))
            continue
        raw = data.decode("utf-8", "replace") if len(records) == 1 and name.endswith(".json") else None
        for data_record in records:
            record = parse_record(data_record)
            record_id = record.id
            if record.withdrawn:
                batch.withdrawn.add(record_id)
                batch.records.pop(record_id, None)
                batch.affected.pop(record_id, None)
                stored.discard(record_id)
                stats.withdrawn += 1
                continue
            record_feed = feed
            affected_rows = []
            for affected in record.affected:
                if record_feed is None:
                    record_feed = base_ecosystem(affected.ecosystem)
                if not affected.matchable:
                    continue  # only commit ranges: nothing a version can be matched against
                ranges = [{"type": r.type, "events": [{kind: version} for kind, version in r.events]}
                          for r in affected.ranges if r.matches_versions]
                affected_rows.append((record_id, affected.ecosystem, normalize_name(affected.ecosystem, affected.name),
                                      _dumps(ranges), _dumps(affected.versions), affected.rating,
                                      _dumps(_severity_json(affected.severity)) if affected.severity else None))
            record_feed = record_feed or "other"
            modified = record.modified
            if modified and modified > newest.get(record_feed, "") and parse_time(modified):
                newest[record_feed] = modified
            batch.withdrawn.discard(record_id)
            batch.records[record_id] = (record_id, record_feed, modified, record.published, _dumps(record.aliases),
                                        record.summary,
                                        _dumps(_severity_json(record.severity)) if record.severity else None,
                                        _dumps(record.references[:5]) if record.references else None,
                                        raw if raw is not None else _dumps(data_record))
            batch.affected[record_id] = affected_rows
            stored.add(record_id)
            stats.feeds[record_feed] = stats.feeds.get(record_feed, 0) + 1
            if len(batch.records) >= BATCH:
                batch.flush(conn)
    batch.flush(conn)
    stats.records = len(stored)
    stats.newest_modified = newest
    return stats


def clear_feed(conn: sqlite3.Connection, feed: str) -> None:
    conn.execute("DELETE FROM affected WHERE record_id IN (SELECT id FROM records WHERE feed = ?)", (feed,))
    conn.execute("DELETE FROM records WHERE feed = ?", (feed,))


def set_feed(conn: sqlite3.Connection, name: str, source: str, as_of: str,
             data_modified: str | None = None, etag: str | None = None) -> None:
    count = conn.execute("SELECT COUNT(*) FROM records WHERE feed = ?", (name,)).fetchone()[0]
    conn.execute("INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?)",
                 (name, source, as_of, data_modified, etag, count))


def import_paths(db_path: Path, paths: list[Path]) -> LoadStats:
    """`dockopt db import`: all records of all paths, in one atomic swap."""
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")

    def documents() -> Iterator[tuple[str, bytes]]:
        for path in paths:
            yield from iter_documents(path)

    with writing(db_path) as conn:
        stats = load_records(conn, documents(), feed=None, strict=True)
        if stats.records == 0 and stats.withdrawn == 0:
            raise InputError("no OSV records found in " + ", ".join(str(p) for p in paths))
        # Imported data is as current as its newest record (placeholder dates aside). A feed
        # that came from `db update` keeps its source and validators; only its count changes.
        for feed in stats.feeds:
            as_of = stats.newest_modified.get(feed) or now_iso()
            existing = feed_row(conn, feed)
            if existing:
                set_feed(conn, feed, existing.source or "import", existing.as_of or as_of,
                         existing.data_modified, existing.etag)
            else:
                set_feed(conn, feed, "import", as_of)
    return stats
