"""`dockopt scan`: match packages against the vulnerability database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dockopt.cli.common import insecure_option, parse_platform, platform_option
from dockopt.cli.db import DB_HELP, resolve_db
from dockopt.config import load_config, section
from dockopt.errors import EXIT_FINDINGS, UsageError
from dockopt.findings import Severity

FORMATS = ["table", "json", "sarif", "cyclonedx"]


@click.command("scan")
@click.argument("image", required=False)
@click.option("--sbom", "sbom", type=click.Path(path_type=Path), metavar="FILE",
              help="Scan the packages of a CycloneDX JSON or SPDX JSON SBOM (`-` for stdin) instead of an image.")
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

    An image's packages are catalogued in one pass over its layers (as `dockopt sbom` does).
    Every match says which record, which range, which installed version and which file.
    IMAGE takes the same references as `dockopt analyze` (docker:, docker-archive:, oci-dir:,
    oci-archive:, registry:, or a bare name).
    """
    from dockopt.report.output import write_text
    from dockopt.vuln import ignore as ignores
    from dockopt.vuln.report import render_json, render_sarif, render_table

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

    from dockopt.vuln.sbom_input import read_sbom
    from dockopt.vuln.scan import scan_packages

    notes: list[str] = []
    if image is not None:
        packages, target = image_packages(image, quiet, platform, plain_http)
    else:
        packages = read_sbom(sbom)
        if packages.skipped:
            notes.append(f"{packages.skipped} SBOM entries without a usable package URL were not matched")
        target = "stdin" if str(sbom) == "-" else str(sbom)
    report = scan_packages(packages, resolve_db(db_path), target=target, only_fixed=only_fixed, rules=rules,
                           notes=notes)
    if fmt == "json":
        text = render_json(report)
    elif fmt == "sarif":
        text = render_sarif(report)
    elif fmt == "cyclonedx":
        from dockopt.vuln.report_cyclonedx import render_cyclonedx

        text = render_cyclonedx(report)
    else:
        from dockopt.report.layout import output_width

        to_terminal = output in (None, "-")
        text = render_table(report, color=to_terminal and sys.stdout.isatty(),
                            width=output_width() if to_terminal else None)
    write_text(text, output)
    for note in report.notes:
        click.echo(f"dockopt: note: {note}", err=True)
    if threshold is not None and any(m.severity >= threshold for m in report.matches):
        sys.exit(EXIT_FINDINGS)


def image_packages(image: str, quiet: bool, platform: str | None, plain_http: bool | None) -> tuple[list, str]:
    """The packages of IMAGE from the catalogers' single pass over its layers."""
    from dockopt.catalog.catalog import catalog_image
    from dockopt.image.reference import open_source
    from dockopt.report.progress import progress_for

    with progress_for(quiet) as progress:
        catalog = catalog_image(open_source(image, parse_platform(platform), plain_http), progress=progress)
    for note in catalog.notes:
        click.echo(f"dockopt: note: {note}", err=True)
    return catalog.packages, catalog.image.reference
