"""The local vulnerability store: one SQLite file built from OSV records.

Readers open it read-only. Writers never touch the live file: they work on a copy next to it
and swap it in with an atomic rename, so a failed or interrupted update leaves the current
database exactly as it was (and scans running meanwhile keep their open file).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from dockopt.errors import DockoptError, InputError

SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE feeds (
  name TEXT PRIMARY KEY,      -- an export (PyPI, Debian …) or what an import brought in
  source TEXT,                -- URL, path, or "import"
  as_of TEXT,                 -- when the data was last known to be current (ISO 8601, UTC)
  data_modified TEXT,         -- Last-Modified of the export, when the server said
  etag TEXT,
  records INTEGER
);
CREATE TABLE records (
  id TEXT PRIMARY KEY,
  feed TEXT NOT NULL,
  modified TEXT,
  published TEXT,
  aliases TEXT NOT NULL,      -- JSON list
  summary TEXT,
  severity TEXT,              -- JSON list of {type, score}
  refs TEXT,                  -- JSON list of the first reference URLs
  data TEXT NOT NULL          -- the record as imported (JSON)
);
CREATE INDEX records_feed ON records(feed);
CREATE TABLE affected (
  record_id TEXT NOT NULL,
  ecosystem TEXT NOT NULL,    -- as in the record: "PyPI", "Debian:12", "Alpine:v3.19"
  name TEXT NOT NULL,         -- normalised for lookup (see ecosystems.normalize_name)
  ranges TEXT NOT NULL,       -- JSON list of {type, events}, GIT ranges dropped
  versions TEXT NOT NULL,     -- JSON list
  rating TEXT,                -- the ecosystem's own severity word, if any
  severity TEXT               -- JSON list of {type, score} given for this package only
);
CREATE INDEX affected_package ON affected(ecosystem, name);
CREATE INDEX affected_record ON affected(record_id);
"""


class DatabaseError(DockoptError):
    """The vulnerability database is missing, unreadable or not ours."""


def default_path() -> Path:
    """$DOCKOPT_DB, else <user cache dir>/dockopt/osv.sqlite3 (XDG_CACHE_HOME or ~/.cache)."""
    if os.environ.get("DOCKOPT_DB"):
        return Path(os.environ["DOCKOPT_DB"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "dockopt" / "osv.sqlite3"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_time(text: str | None) -> datetime | None:
    """A timestamp from a record or the DB; None for missing, unparsable or placeholder dates."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    if value.year < 1970:  # OSV exports carry 0001-01-01 placeholders
        return None
    return value


@dataclass(frozen=True)
class FeedStatus:
    name: str
    source: str | None
    as_of: str | None
    data_modified: str | None
    etag: str | None
    records: int


STALE_DAYS = 7
"""A feed older than this gets a note in `scan` and a fix line in `doctor`."""


def feed_age(as_of: str | None, now: datetime | None = None) -> str:
    """How old a feed's as-of time is, in whole units rounded down ("42 min", "5 h", "695 d"):
    the one figure `db status`, `scan` and `doctor` all show."""
    moment = parse_time(as_of)
    if moment is None:
        return "-"
    seconds = max(0.0, ((now or datetime.now(timezone.utc)) - moment).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def feed_is_stale(as_of: str | None, now: datetime | None = None) -> bool:
    moment = parse_time(as_of)
    return moment is not None and ((now or datetime.now(timezone.utc)) - moment).days > STALE_DAYS


@dataclass(frozen=True)
class AffectedRow:
    record_id: str
    ecosystem: str
    name: str
    ranges: list[dict[str, Any]]
    versions: list[str]
    rating: str | None
    severity: list[dict[str, Any]]


@dataclass(frozen=True)
class RecordRow:
    id: str
    feed: str
    modified: str | None
    published: str | None
    aliases: tuple[str, ...]
    summary: str | None
    severity: list[dict[str, Any]]
    references: tuple[str, ...]

    def data(self, db: "VulnDB") -> dict[str, Any]:
        """The full record as imported (read on demand: it can be large)."""
        row = db.conn.execute("SELECT data FROM records WHERE id = ?", (self.id,)).fetchone()
        return json.loads(row[0]) if row else {}


class VulnDB:
    """Read access to a database file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DatabaseError(
                f"no vulnerability database at {self.path}; run `dockopt db update` "
                f"(or `dockopt db import PATH` offline) first")
        try:
            self.conn = sqlite3.connect(_read_only_uri(self.path), uri=True)
            version = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{self.path} is not a dockopt vulnerability database ({exc})") from None
        if not version or int(version[0]) != SCHEMA_VERSION:
            raise DatabaseError(f"{self.path} has database schema {version and version[0]}, expected "
                                f"{SCHEMA_VERSION}; rebuild it with `dockopt db update`")
        self._record_cache: dict[str, RecordRow] = {}
        self._affected_cache: dict[tuple[str, str], list[AffectedRow]] = {}
        self._names: dict[str, frozenset[str]] = {}

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "VulnDB":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feeds(self) -> list[FeedStatus]:
        rows = self.conn.execute(
            "SELECT name, source, as_of, data_modified, etag, records FROM feeds ORDER BY name").fetchall()
        return [FeedStatus(*row) for row in rows]

    def ecosystem_counts(self) -> dict[str, int]:
        """Distinct records per OSV ecosystem (Debian:11 and Debian:12 counted apart)."""
        rows = self.conn.execute(
            "SELECT ecosystem, COUNT(DISTINCT record_id) FROM affected GROUP BY ecosystem ORDER BY ecosystem")
        return dict(rows.fetchall())

    def record_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]

    def names(self, ecosystem: str) -> frozenset[str]:
        """Every package name with a record in `ecosystem` (one indexed scan, then cached)."""
        cached = self._names.get(ecosystem)
        if cached is None:
            rows = self.conn.execute("SELECT DISTINCT name FROM affected WHERE ecosystem = ?", (ecosystem,))
            cached = self._names[ecosystem] = frozenset(row[0] for row in rows)
        return cached

    def affected(self, ecosystem: str, name: str) -> list[AffectedRow]:
        cache_key = (ecosystem, name)
        cached = self._affected_cache.get(cache_key)
        if cached is not None:
            return cached
        if name not in self.names(ecosystem):
            return []  # most packages have no advisory: skip the query
        rows = self.conn.execute(
            "SELECT record_id, ecosystem, name, ranges, versions, rating, severity FROM affected "
            "WHERE ecosystem = ? AND name = ?", (ecosystem, name)).fetchall()
        result = [AffectedRow(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5],
                              json.loads(r[6]) if r[6] else []) for r in rows]
        self._affected_cache[cache_key] = result
        return result

    def record(self, record_id: str) -> RecordRow:
        cached = self._record_cache.get(record_id)
        if cached is None:
            self.prefetch_records([record_id])
            cached = self._record_cache.get(record_id)
            if cached is None:
                raise KeyError(record_id)
        return cached

    def prefetch_records(self, record_ids: Iterable[str]) -> None:
        """Load many records in a few queries (matching needs one per match)."""
        wanted = [rid for rid in dict.fromkeys(record_ids) if rid not in self._record_cache]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self.conn.execute(
                "SELECT id, feed, modified, published, aliases, summary, severity, refs FROM records "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
            for r in rows:
                self._record_cache[r[0]] = RecordRow(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5],
                                                     json.loads(r[6]) if r[6] else [],
                                                     tuple(json.loads(r[7])) if r[7] else ())

    def prefetch_affected(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Load the affected rows of many (ecosystem, name) pairs in a few queries."""
        by_ecosystem: dict[str, list[str]] = {}
        for ecosystem, name in dict.fromkeys(pairs):
            if (ecosystem, name) not in self._affected_cache and name in self.names(ecosystem):
                by_ecosystem.setdefault(ecosystem, []).append(name)
        for ecosystem, names in by_ecosystem.items():
            for name in names:
                self._affected_cache[(ecosystem, name)] = []
            for start in range(0, len(names), 500):
                chunk = names[start:start + 500]
                rows = self.conn.execute(
                    "SELECT record_id, ecosystem, name, ranges, versions, rating, severity FROM affected "
                    f"WHERE ecosystem = ? AND name IN ({','.join('?' * len(chunk))})", [ecosystem, *chunk])
                for r in rows:
                    self._affected_cache[(ecosystem, r[2])].append(
                        AffectedRow(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5],
                                    json.loads(r[6]) if r[6] else []))


def _read_only_uri(path: Path) -> str:
    # as_uri() percent-encodes "?" and "#", which would otherwise end the path part of the URI.
    return path.resolve().as_uri() + "?mode=ro"


def create_schema(conn: sqlite3.Connection) -> None:
    conn.executescript(SCHEMA)
    conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))


@contextlib.contextmanager
def writing(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A connection to a private copy of the database (a new one if none exists yet). On normal
    exit the copy is committed and atomically renamed over `path`; on any error it is deleted."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise DatabaseError(f"cannot write the database next to {target}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    conn = None
    try:
        fresh = True
        if target.exists():
            with contextlib.closing(_open_existing(target)):
                pass
            shutil.copyfile(target, tmp)
            fresh = False
        else:
            tmp.unlink()
        conn = sqlite3.connect(tmp, isolation_level=None)
        # A private file nobody reads until the rename: durability comes from the rename, not
        # from SQLite's journal.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        if fresh:
            create_schema(conn)
        conn.execute("BEGIN")
        yield conn
        conn.execute("COMMIT")
        conn.close()
        conn = None
        os.replace(tmp, target)
    except BaseException as exc:
        if conn is not None:
            conn.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, (OSError, sqlite3.Error)):
            # Disk full, permissions …: the current database is untouched, say so in one line.
            detail = getattr(exc, "strerror", None) or str(exc)
            raise DatabaseError(f"cannot write the database {target}: {detail}; it is unchanged") from None
        raise


def _open_existing(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(_read_only_uri(path), uri=True)
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} exists but is not a dockopt vulnerability database ({exc}); "
                            f"move it away or choose another --db") from None
    if not row or int(row[0]) != SCHEMA_VERSION:
        conn.close()
        raise DatabaseError(f"{path} has database schema {row and row[0]}, expected {SCHEMA_VERSION}; "
                            f"delete it and run `dockopt db update`")
    return conn


def feed_row(conn: sqlite3.Connection, name: str) -> FeedStatus | None:
    row = conn.execute("SELECT name, source, as_of, data_modified, etag, records FROM feeds WHERE name = ?",
                       (name,)).fetchone()
    return FeedStatus(*row) if row else None


def read_feed(path: str | Path, name: str) -> FeedStatus | None:
    """The stored state of one feed (for conditional requests), or None."""
    target = Path(path)
    if not target.exists():
        return None
    with contextlib.closing(_open_existing(target)) as conn:
        return feed_row(conn, name)


__all__ = ["VulnDB", "DatabaseError", "InputError", "writing", "default_path", "now_iso", "parse_time"]
