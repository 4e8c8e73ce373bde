"""`dockopt analyze IMAGE`: where the bytes went, which are wasted, and CI gates."""

from __future__ import annotations

import click

from dockopt.cli.common import (
    REFERENCE_HELP,
    insecure_option,
    timeout_option,
    parse_platform,
    platform_option,
)
from dockopt.errors import EXIT_FINDINGS, UsageError


@click.command(help=f"""Layer sizes, wasted bytes and efficiency of an image.

Waste is the bytes of file versions that do not survive into the final filesystem (deleted or
replaced by a later layer); the surviving copy is never counted. Efficiency = final bytes /
all bytes stored. Gates (dive's names) fail the run with exit 1:

  --fail-on lowestEfficiency=0.9 --fail-on highestWastedBytes=20MB
  --fail-on highestUserWastedPercent=0.1

They can also be set in .dockopt.yaml (analyze: fail-on: ...) or [tool.dockopt.analyze].

Image checks (all by default; pick with --checks waste,secrets,tools,privilege,leftovers):
secrets in every layer (deleted ones too) and in ENV/ARG/labels, values redacted; tools an
attacker would use; setuid files, world-writable paths, root user; caches and leftovers with
their bytes. Silence known secrets with analyze: secrets: allow: [/path/glob, rule-id, regex].
--fail-severity LEVEL exits 1 when a finding reaches LEVEL.

{REFERENCE_HELP}""")
@click.argument("image")
@click.option("--base", "base_ref", metavar="IMAGE", help="The base image, to split base and your layers exactly.")
@click.option("--fail-on", "fail_on", multiple=True, metavar="GATE=VALUE", help="A CI gate (repeatable); VALUE may be 'disabled'.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file (atomically).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(0, 10000), help="How many wasted paths to list.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: search .dockopt.yaml, pyproject.toml).")
@click.option("--checks", "checks", metavar="LIST", default=None,
              help="Comma-separated check families: waste,secrets,tools,privilege,leftovers (default: all).")
@click.option("--fail-severity", "fail_severity", metavar="LEVEL", default=None,
              help="Exit 1 when a finding is at or above LEVEL (info, low, medium, high, critical).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@platform_option
@insecure_option
@timeout_option
def analyze(image: str, base_ref: str | None, fail_on: tuple[str, ...], fmt: str, output: str | None, top: int,
            config_path: str | None, checks: str | None, fail_severity: str | None, quiet: bool,
            platform: str | None, plain_http: bool | None, timeout: float) -> None:
    from dockopt.config import load_config, section
    from dockopt.findings import Severity, exceeds
    from dockopt.image.reference import open_source
    from dockopt.inspect.analyze import analyze_image
    from dockopt.inspect.checks import parse_checks
    from dockopt.inspect.gates import Gates
    from dockopt.report.analyze import analyze_json, render_analyze
    from dockopt.report.output import dump_json, write_rendered, write_text
    from dockopt.report.progress import progress_for

    settings = section(load_config(config_path), "analyze")
    gate_values = dict(settings.get("fail-on") or settings.get("fail_on") or {})
    for item in fail_on:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--fail-on takes GATE=VALUE, got {item!r}")
        gate_values[key.strip()] = value.strip()
    gates = Gates.from_mapping(gate_values)
    families = parse_checks(checks if checks is not None else settings.get("checks"))
    threshold_text = fail_severity or settings.get("fail-severity") or settings.get("fail_severity")
    threshold = Severity.parse(str(threshold_text)) if threshold_text else None
    if not isinstance(settings.get("secrets") or {}, dict):
        raise UsageError("analyze.secrets in the config must be a mapping (e.g. secrets: {allow: [...]})")
    from dockopt.inspect.checks import make_checks

    make_checks(families, settings)  # validate the config (allowlist) before reading any image
    plat = parse_platform(platform)
    source = open_source(image, plat, plain_http, timeout)
    base = open_source(base_ref, plat, plain_http, timeout) if base_ref else None
    with progress_for(quiet) as progress:
        result = analyze_image(source, base, gates, top, progress=progress, checks=families, settings=settings)
    if fmt == "json":
        write_text(dump_json(analyze_json(result)), output)
    else:
        write_rendered(lambda console: render_analyze(result, console), output)
    if not result.passed or exceeds(result.findings, threshold):
        raise SystemExit(EXIT_FINDINGS)
