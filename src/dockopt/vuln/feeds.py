"""`dockopt db update`: fetch the per-ecosystem OSV exports (`<base>/<ecosystem>/all.zip`).

Sources: the public OSV bucket (default), any HTTP(S) mirror laid out the same way, or a local
copy (`file://` URL or a plain path). HTTP requests are conditional (ETag / Last-Modified from the
previous update), retried with exponential backoff on connection errors and 5xx/429 answers. Every
export is downloaded before the database is touched; then all of them are applied in one atomic
swap, so any failure leaves the current database as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote, urlparse

from dockopt.errors import DockoptError
from dockopt.vuln.db import now_iso, read_feed, writing
from dockopt.vuln.importer import clear_feed, iter_zip, load_records, set_feed

DEFAULT_MIRROR = "https://osv-vulnerabilities.storage.googleapis.com"
DEFAULT_ECOSYSTEMS = ("Debian", "Ubuntu", "Alpine", "PyPI", "npm", "Go", "Maven", "crates.io", "RubyGems")
USER_AGENT = "dockopt (vulnerability database update)"


class FeedError(DockoptError):
    """An export could not be fetched; the database is unchanged."""


@dataclass(frozen=True)
class FeedResult:
    ecosystem: str
    source: str
    status: str
    """"updated", "not-modified" (304 or unchanged file) or "imported" for first downloads."""
    records: int
    withdrawn: int = 0
    seconds: float = 0.0


@dataclass
class _Fetched:
    ecosystem: str
    source: str
    path: Path | None  # None: not modified
    etag: str | None
    last_modified: str | None


def export_location(base: str, ecosystem: str) -> str:
    """Where the ecosystem's all.zip lives under `base` (URL or directory)."""
    if _is_http(base):
        return f"{base.rstrip('/')}/{quote(ecosystem)}/all.zip"
    return str(_local_base(base) / ecosystem / "all.zip")


def _is_http(base: str) -> bool:
    return base.startswith(("http://", "https://"))


def _local_base(base: str) -> Path:
    if base.startswith("file://"):
        return Path(unquote(urlparse(base).path))
    return Path(base)


def _http_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).isoformat().replace("+00:00", "Z")
    except (TypeError, ValueError):
        return None


def _fetch_local(ecosystem: str, base: str, previous: "_Previous | None") -> _Fetched:
    source = export_location(base, ecosystem)
    path = Path(source)
    try:
        stat = path.stat()
    except OSError as exc:
        raise FeedError(f"{ecosystem}: cannot read {path}: {exc.strerror or exc}; the database is unchanged") from None
    validator = f"mtime={stat.st_mtime_ns};size={stat.st_size}"
    if previous and previous.source == source and previous.etag == validator:
        return _Fetched(ecosystem, source, None, validator, previous.data_modified)
    modified = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stat.st_mtime))
    return _Fetched(ecosystem, source, path, validator, modified)


def _fetch_http(client, ecosystem: str, base: str, previous: "_Previous | None", workdir: Path,
                retries: int, backoff: float) -> _Fetched:
    import httpx

    url = export_location(base, ecosystem)
    headers = {}
    if previous and previous.source == url:
        if previous.etag:
            headers["If-None-Match"] = previous.etag
        if previous.data_modified_header:
            headers["If-Modified-Since"] = previous.data_modified_header
    last_error = ""
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff * (2 ** (attempt - 1)))
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return _Fetched(ecosystem, url, None, previous.etag if previous else None,
                                    previous.data_modified if previous else None)
                if response.status_code in (429,) or response.status_code >= 500:
                    last_error = f"HTTP {response.status_code}"
                    continue
                if response.status_code == 404:
                    raise FeedError(f"{ecosystem}: no export at {url} (HTTP 404); check the ecosystem name "
                                    f"and --mirror; the database is unchanged")
                if response.status_code != 200:
                    raise FeedError(f"{ecosystem}: {url} answered HTTP {response.status_code}; "
                                    f"the database is unchanged")
                target = workdir / f"{len(os.listdir(workdir))}.zip"
                with open(target, "wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        out.write(chunk)
                return _Fetched(ecosystem, url, target, response.headers.get("ETag"),
                                _http_date(response.headers.get("Last-Modified")) or None)
        except httpx.TransportError as exc:
            last_error = str(exc) or type(exc).__name__
            continue
    raise FeedError(f"{ecosystem}: cannot download {url} after {retries + 1} attempts ({last_error}); "
                    f"offline? the database is unchanged (use --mirror with a local copy, or `dockopt db import`)")


@dataclass(frozen=True)
class _Previous:
    source: str | None
    etag: str | None
    data_modified: str | None

    @property
    def data_modified_header(self) -> str | None:
        from email.utils import format_datetime
        from dockopt.vuln.db import parse_time

        moment = parse_time(self.data_modified)
        return format_datetime(moment, usegmt=True) if moment else None


def local_ecosystems(mirror: str) -> list[str]:
    """Ecosystems a local mirror holds (directories with an all.zip)."""
    base = _local_base(mirror)
    if not base.is_dir():
        raise FeedError(f"mirror {mirror} is not a directory")
    return sorted(child.name for child in base.iterdir() if (child / "all.zip").is_file())


def update(db_path: Path, ecosystems: list[str], mirror: str = DEFAULT_MIRROR, retries: int = 3,
           backoff: float = 1.0, timeout: float = 60.0,
           progress: Callable[[str], None] | None = None) -> list[FeedResult]:
    """Fetch every ecosystem's export, then apply all of them in one atomic swap."""
    say = progress or (lambda message: None)
    previous: dict[str, _Previous] = {}
    for ecosystem in ecosystems:
        state = read_feed(db_path, ecosystem)
        if state:
            previous[ecosystem] = _Previous(state.source, state.etag, state.data_modified)
    db_dir = Path(db_path).parent
    db_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".dockopt-osv-", dir=db_dir))
    try:
        fetched: list[_Fetched] = []
        client = None
        if _is_http(mirror):
            import httpx

            client = httpx.Client(timeout=timeout, follow_redirects=True, headers={"User-Agent": USER_AGENT})
        try:
            for ecosystem in ecosystems:
                started = time.monotonic()
                if client is not None:
                    item = _fetch_http(client, ecosystem, mirror, previous.get(ecosystem), workdir,
                                       retries, backoff)
                else:
                    item = _fetch_local(ecosystem, mirror, previous.get(ecosystem))
                say(f"{ecosystem}: {'not modified' if item.path is None else 'downloaded'} "
                    f"({time.monotonic() - started:.1f} s)")
                fetched.append(item)
        finally:
            if client is not None:
                client.close()
        results: list[FeedResult] = []
        checked = now_iso()
        with writing(db_path) as conn:
            for item in fetched:
                started = time.monotonic()
                if item.path is None:
                    conn.execute("UPDATE feeds SET as_of = ? WHERE name = ?", (checked, item.ecosystem))
                    count = conn.execute("SELECT records FROM feeds WHERE name = ?", (item.ecosystem,)).fetchone()
                    results.append(FeedResult(item.ecosystem, item.source, "not-modified", count[0] if count else 0))
                    continue
                clear_feed(conn, item.ecosystem)
                stats = load_records(conn, iter_zip(item.path), feed=item.ecosystem, strict=False)
                set_feed(conn, item.ecosystem, item.source, checked, item.last_modified, item.etag)
                results.append(FeedResult(item.ecosystem, item.source, "updated", stats.records, stats.withdrawn,
                                          time.monotonic() - started))
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
