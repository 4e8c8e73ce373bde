"""`dockopt scan`: match packages against the vulnerability database."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from dockopt.cli.common import insecure_option, parse_platform, platform_option
from dockopt.cli.db import DB_HELP, resolve_db
from dockopt.config import load_config, section
from dockopt.errors import EXIT_FINDINGS, UsageError
from dockopt.findings import Severity

FORMATS = ["table", "json", "sarif", "cyclonedx"]
STALE_DAYS = 7


@click.command("scan")
@click.argument("image", required=False)
@click.option("--sbom", "sbom", type=click.Path(path_type=Path), metavar="FILE",
              help="Scan the packages of a CycloneDX JSON or SPDX JSON SBOM instead of an image.")
@click.option("--db", "db_path", metavar="PATH", help=DB_HELP)
@click.option("--fail-on", "fail_on", metavar="SEVERITY",
              help="Exit 1 when a vulnerability at or above this severity remains (info, low, medium, high, critical).")
@click.option("--only-fixed", is_flag=True, default=None,
              help="Report only vulnerabilities that have a fixed version.")
@click.option("--ignore-file", type=click.Path(path_type=Path), metavar="FILE",
              help="YAML ignore rules: id, optional package, reason, optional expires date.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="Output format (default: table).")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
              help="Write the report to FILE (atomically) instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@platform_option
@insecure_option
def scan(image: str | None, sbom: Path | None, db_path: str | None, fail_on: str | None, only_fixed: bool | None,
         ignore_file: Path | None, fmt: str | None, output: Path | None, quiet: bool, platform: str | None,
         plain_http: bool | None) -> None:
    """Find known vulnerabilities (OSV data) in an image's or an SBOM's packages.

    The image's packages are catalogued in one pass over its layers (as `dockopt sbom` does).
    Every match says which record, which range, which installed version and which file.
    IMAGE takes the same references as `dockopt analyze` (docker:, docker-archive:, oci-dir:,
    oci-archive:, registry:, or a bare name).
    """
    from dockopt.report.output import write_text
    from dockopt.vuln import ignore as ignores
    from dockopt.vuln.db import VulnDB, parse_time
    from dockopt.vuln.match import match_packages
    from dockopt.vuln.report import ScanReport, render_json, render_sarif, render_table

    config = section(load_config(), "scan")
    fail_on = fail_on or config.get("fail-on")
    threshold = Severity.parse(str(fail_on)) if fail_on else None
    only_fixed = bool(config.get("only-fixed", False)) if only_fixed is None else only_fixed
    fmt = fmt or config.get("format") or "table"
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} in config (expected one of: {', '.join(FORMATS)})")
    if (image is None) == (sbom is None):
        raise UsageError("give either an IMAGE or --sbom FILE")

    rules = []
    ignore_path = ignore_file or (Path(config["ignore-file"]) if config.get("ignore-file") else None)
    if ignore_path is not None:
        rules = ignores.load_rules(ignore_path)
    if config.get("ignore"):
        rules += ignores.parse_rules(config["ignore"], "config scan.ignore")

    packages, target = _packages(image, sbom, quiet, platform, plain_http)
    with VulnDB(resolve_db(db_path)) as store:
        result = match_packages(packages, store)
        feeds = store.feeds()
    matches = result.matches
    notes = list(result.notes)
    if packages.skipped:
        notes.append(f"{packages.skipped} SBOM entries without a usable package URL were not matched")
    if only_fixed:
        matches = [m for m in matches if m.fixed_version]
    matches, ignored, ignore_notes = ignores.apply(matches, rules)
    notes += ignore_notes
    stale = []
    for feed in feeds:
        moment = parse_time(feed.as_of)
        if moment is not None:
            age = (datetime.now(timezone.utc) - moment).days
            if age > STALE_DAYS:
                stale.append(f"{feed.name} {age} d")
    if stale:
        notes.append(f"vulnerability data is old ({', '.join(stale)}); run `dockopt db update`")
    report = ScanReport(target=target, packages=len(packages), matches=matches, ignored=ignored, notes=notes,
                        db_path=str(resolve_db(db_path)), feeds=feeds, package_list=list(packages))
    if fmt == "json":
        text = render_json(report)
    elif fmt == "sarif":
        text = render_sarif(report)
    elif fmt == "cyclonedx":
        from dockopt.vuln.report_cyclonedx import render_cyclonedx

        text = render_cyclonedx(report)
    else:
        text = render_table(report, color=output is None and sys.stdout.isatty())
    write_text(text, output)
    for note in notes:
        click.echo(f"dockopt: note: {note}", err=True)
    if threshold is not None and any(m.severity >= threshold for m in matches):
        sys.exit(EXIT_FINDINGS)


def _packages(image: str | None, sbom: Path | None, quiet: bool, platform: str | None, plain_http: bool | None):
    """The packages to match and a name for them: from an SBOM file, or catalogued from an image."""
    from dockopt.vuln.sbom_input import SbomPackages, read_sbom

    if sbom is not None:
        return read_sbom(sbom), str(sbom)
    from dockopt.catalog.catalog import catalog_image
    from dockopt.image.reference import open_source
    from dockopt.report.progress import progress_for

    assert image is not None
    with progress_for(quiet) as progress:
        catalog = catalog_image(open_source(image, parse_platform(platform), plain_http), progress=progress)
    packages = SbomPackages()
    packages.extend(catalog.packages)
    packages.format = "image"
    for note in catalog.notes:
        click.echo(f"dockopt: note: {note}", err=True)
    return packages, catalog.image.reference
