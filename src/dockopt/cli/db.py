"""`dockopt db`: the local vulnerability database (update from OSV exports, import, status)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dockopt.config import load_config, section

DB_HELP = "Vulnerability database file (default: $DOCKOPT_DB or <cache dir>/dockopt/osv.sqlite3)."


def resolve_db(option: str | None) -> Path:
    from dockopt.vuln.db import default_path

    if option:
        return Path(option)
    configured = section(load_config(), "db").get("path")
    return Path(configured) if configured else default_path()


@click.group("db")
def db() -> None:
    """Manage the local vulnerability database built from OSV data."""


@db.command("update")
@click.option("--db", "db_path", metavar="PATH", help=DB_HELP)
@click.option("--mirror", metavar="URL", help="Base URL or directory laid out like the OSV bucket "
              "(<base>/<Ecosystem>/all.zip); file:// URLs and plain paths work offline.")
@click.option("-e", "--ecosystem", "ecosystems", multiple=True, metavar="NAME",
              help="Ecosystem export to fetch (repeatable). Default: Debian, Ubuntu, Alpine, PyPI, npm, Go, "
                   "Maven, crates.io, RubyGems; for a local mirror, every ecosystem it holds.")
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True,
              help="Retries per download on network errors and 5xx/429 answers (exponential backoff).")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds to wait for the server at each step.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def update_cmd(db_path: str | None, mirror: str | None, ecosystems: tuple[str, ...], retries: int,
               timeout: float, quiet: bool) -> None:
    """Download OSV exports; swap them in atomically.

    Conditional requests, retries with backoff; a failure leaves the database unchanged.
    """
    from dockopt.vuln.feeds import DEFAULT_ECOSYSTEMS, DEFAULT_MIRROR, local_ecosystems, update

    path = resolve_db(db_path)
    mirror = mirror or section(load_config(), "db").get("mirror") or DEFAULT_MIRROR
    names = list(ecosystems)
    if not names:
        is_http = mirror.startswith(("http://", "https://"))
        names = list(DEFAULT_ECOSYSTEMS) if is_http else local_ecosystems(mirror)
    # Per-download progress on a terminal only; the summary below is the command's output.
    progress = None if quiet or not sys.stderr.isatty() else (lambda message: click.echo(message, err=True))
    results = update(path, names, mirror=mirror, retries=retries, timeout=timeout, progress=progress)
    if not quiet:
        for r in results:
            extra = f", {r.withdrawn} withdrawn skipped" if r.withdrawn else ""
            extra += f", {r.invalid} malformed documents skipped" if r.invalid else ""
            click.echo(f"{r.ecosystem}: {r.status}, {r.records} records{extra}")
        click.echo(f"database: {path}")


@db.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--db", "db_path", metavar="PATH", help=DB_HELP)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def import_cmd(paths: tuple[Path, ...], db_path: str | None, quiet: bool) -> None:
    """Import OSV records: JSON/YAML files, directories, zips.

    For air-gapped machines: the records replace earlier versions of the same ids.
    """
    from dockopt.vuln.importer import import_paths

    path = resolve_db(db_path)
    stats = import_paths(path, list(paths))
    if not quiet:
        feeds = ", ".join(f"{name} {count}" for name, count in sorted(stats.feeds.items()))
        click.echo(f"imported {stats.records} records ({feeds})"
                   + (f", {stats.withdrawn} withdrawn skipped" if stats.withdrawn else ""))
        click.echo(f"database: {path}")


@db.command("status")
@click.option("--db", "db_path", metavar="PATH", help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def status_cmd(db_path: str | None, fmt: str) -> None:
    """Show feeds, ecosystems, record counts, as-of times, age."""
    from dockopt.report.layout import output_width, shorten_middle, table
    from dockopt.report.output import dump_json, write_text
    from dockopt.vuln.db import VulnDB, feed_age

    path = resolve_db(db_path)
    with VulnDB(path) as store:
        feeds = store.feeds()
        ecosystems = store.ecosystem_counts()
        total = store.record_count()
    if fmt == "json":
        write_text(dump_json({
            "schema_version": 1, "path": str(path), "records": total,
            "feeds": [{"name": f.name, "source": f.source, "as_of": f.as_of, "age": feed_age(f.as_of),
                       "data_modified": f.data_modified, "records": f.records} for f in feeds],
            "ecosystems": ecosystems,
        }), None)
        return
    width = output_width()
    rows = [(f.name, f.records, f.as_of or "-", feed_age(f.as_of), f.data_modified or "-", f.source or "-")
            for f in feeds]
    out = [f"database: {shorten_middle(str(path), width - 10) if width else path}", f"records: {total}", "",
           table(("FEED", "RECORDS", "AS OF", "AGE", "DATA FROM", "SOURCE"), rows, right=(1, 3), width=width,
                 shrink=(5,)),
           table(("ECOSYSTEM", "RECORDS"), list(ecosystems.items()), right=(1,), width=width, shrink=(0,))]
    sys.stdout.write("\n".join(out))
