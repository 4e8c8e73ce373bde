"""Loading OSV records into the store: from JSON/YAML files, directories and zip archives
(the per-ecosystem `all.zip` exports are zips of one JSON record per file)."""

from __future__ import annotations

import json
import mmap
import sqlite3
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

try:  # orjson parses the exports 3-4x faster; the standard library is the fallback
    import orjson

    _loads = orjson.loads

    def _dumps(value: Any) -> str:
        return orjson.dumps(value).decode()
except ImportError:  # pragma: no cover
    _loads = json.loads

    def _dumps(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

from dockopt.errors import InputError
from dockopt.vuln.db import feed_row, now_iso, parse_time, writing
from dockopt.vuln.ecosystems import base_ecosystem, normalize_name

RECORD_SUFFIXES = (".json", ".yaml", ".yml")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """The OSV records in one file: a JSON/YAML object, or a list of them."""
    try:
        if name.endswith((".yaml", ".yml")):
            value = yaml.load(data, Loader=_YAML_LOADER)
        else:
            value = _loads(data)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"{name}: not valid {'YAML' if name.endswith(('.yaml', '.yml')) else 'JSON'} "
                         f"({str(exc).splitlines()[0]})") from None
    records = value if isinstance(value, list) else [value]
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise InputError(f"{name}: not an OSV record (no string `id`)")
    return records


def iter_documents(path: Path) -> Iterator[tuple[str, bytes]]:
    """(display name, bytes) of every record file in a file, directory or zip."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and (child.suffix in RECORD_SUFFIXES or child.suffix == ".zip"):
                yield from iter_documents(child)
        return
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.suffix == ".zip" or zipfile.is_zipfile(path):
        yield from iter_zip(path)
        return
    try:
        yield str(path), path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


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
                    yield f"{path}!{info.filename}", _member_bytes(data, info, archive)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, struct.error, ValueError) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc})") from None


def _member_bytes(data: mmap.mmap, info: zipfile.ZipInfo, archive: zipfile.ZipFile) -> bytes:
    offset = info.header_offset
    if data[offset:offset + 4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    name_len, extra_len = struct.unpack("<HH", data[offset + 26:offset + 30])
    start = offset + 30 + name_len + extra_len
    if info.compress_type == zipfile.ZIP_DEFLATED:
        content = zlib.decompress(data[start:start + info.compress_size], -15)
    elif info.compress_type == zipfile.ZIP_STORED:
        content = data[start:start + info.compress_size]
    else:
        return archive.read(info)  # rare methods (bzip2, lzma): let zipfile handle them
    if zlib.crc32(content) != info.CRC or len(content) != info.file_size:
        raise zipfile.BadZipFile(f"CRC or size mismatch in {info.filename}")
    return content


def _severity_word(affected: dict[str, Any], record: dict[str, Any]) -> str | None:
    """The ecosystem's own rating: GHSA/PyPA `database_specific.severity`, Debian urgency …"""
    for holder in (affected.get("ecosystem_specific"), affected.get("database_specific"),
                   record.get("database_specific")):
        if isinstance(holder, dict):
            for field_name in ("severity", "urgency"):
                value = holder.get(field_name)
                if isinstance(value, str) and value.strip():
                    return value.strip()
            if holder.get("informational"):
                return "informational"
    return None


def _severity_entries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [s for s in value if isinstance(s, dict) and "type" in s and "score" in s]


def load_records(conn: sqlite3.Connection, documents: Iterable[tuple[str, bytes]],
                 feed: str | None, strict: bool = True) -> LoadStats:
    """Insert or replace records. `feed` None: each record goes to the feed named after its
    first affected ecosystem (imports). With strict, a malformed document is an error."""
    stats = LoadStats()
    record_rows: list[tuple] = []
    affected_rows: list[tuple] = []
    withdrawn_ids: list[str] = []
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
        for record in records:
            record_id = record["id"]
            if record.get("withdrawn"):
                withdrawn_ids.append(record_id)
                stats.withdrawn += 1
                continue
            affected_list = record.get("affected") or []
            if not isinstance(affected_list, list):
                affected_list = []
            record_feed = feed
            for affected in affected_list:
                if not isinstance(affected, dict):
                    continue
                package = affected.get("package") or {}
                ecosystem, pkg_name = package.get("ecosystem"), package.get("name")
                if not isinstance(ecosystem, str) or not isinstance(pkg_name, str):
                    continue
                if record_feed is None:
                    record_feed = base_ecosystem(ecosystem)
                ranges = [{"type": r.get("type"), "events": r.get("events") or []}
                          for r in affected.get("ranges") or [] if isinstance(r, dict) and r.get("type") != "GIT"]
                versions = [str(v) for v in affected.get("versions") or []]
                if not ranges and not versions:
                    continue  # only commit ranges: nothing a version can be matched against
                severity = _severity_entries(affected.get("severity"))
                affected_rows.append((record_id, ecosystem, normalize_name(ecosystem, pkg_name),
                                      _dumps(ranges), _dumps(versions),
                                      _severity_word(affected, record),
                                      _dumps(severity) if severity else None))
            record_feed = record_feed or "other"
            modified = record.get("modified")
            if isinstance(modified, str) and modified > newest.get(record_feed, "") and parse_time(modified):
                newest[record_feed] = modified
            aliases = [a for a in record.get("aliases") or [] if isinstance(a, str)]
            severity = _severity_entries(record.get("severity"))
            record_rows.append((record_id, record_feed, modified, record.get("published"), _dumps(aliases),
                                record.get("summary"), _dumps(severity) if severity else None,
                                raw if raw is not None else _dumps(record)))
            stats.feeds[record_feed] = stats.feeds.get(record_feed, 0) + 1
    # Replace earlier versions of these records wholesale, and drop withdrawn ones.
    replaced = [(row[0],) for row in record_rows] + [(rid,) for rid in withdrawn_ids]
    conn.executemany("DELETE FROM affected WHERE record_id = ?", replaced)
    conn.executemany("DELETE FROM records WHERE id = ?", [(rid,) for rid in withdrawn_ids])
    conn.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", record_rows)
    conn.executemany("INSERT INTO affected VALUES (?, ?, ?, ?, ?, ?, ?)", affected_rows)
    stats.records = len(record_rows)
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
