"""`dockopt prune`: a plan first (dry run by default), then, with --yes, the removals."""

from __future__ import annotations

import sys

import click

from dockopt.report.output import dump_json, write_text


@click.command("prune")
@click.option("--images", is_flag=True, help="Unused images: no container, running or stopped, uses them.")
@click.option("--dangling", is_flag=True, help="Dangling (untagged) unused images.")
@click.option("--containers", is_flag=True, help="Stopped containers (created, exited, dead).")
@click.option("--volumes", is_flag=True, help="Unused volumes. Never removed without this flag.")
@click.option("--build-cache", is_flag=True, help="Build cache records not in use.")
@click.option("--repository", "repositories", multiple=True, metavar="PATTERN",
              help="Unused images whose every tag is in a matching repository (glob; * within a path "
                   "segment, ** across; PATTERN:TAG-GLOB matches tags). Repeatable.")
@click.option("--keep-last", type=click.IntRange(min=0), default=None, metavar="N",
              help="Keep the newest N images of each repository (by creation time).")
@click.option("--until", default=None, metavar="WHEN",
              help="Only objects created before WHEN: Unix timestamp, RFC 3339 date/time, or Go duration (10m, 1h30m).")
@click.option("--filter", "filters", multiple=True, metavar="label=K[=V]|label!=K[=V]|until=WHEN",
              help="Docker's prune filters. Repeatable.")
@click.option("--yes", is_flag=True, help="Remove what the plan lists (default: dry run).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file (default: .dockopt.yaml or pyproject.toml found from here).")
def prune(images: bool, dangling: bool, containers: bool, volumes: bool, build_cache: bool,
          repositories: tuple[str, ...], keep_last: int | None, until: str | None, filters: tuple[str, ...],
          yes: bool, fmt: str, config_path: str | None) -> None:
    """Remove unused images, stopped containers, unused volumes and build cache, predictably.

    Without a selection flag the plan is Docker's `system prune` default: stopped containers,
    dangling images and build cache. Nothing a container uses and nothing the config file's
    `prune: protect:` section names is ever removed. Dry run by default: the plan lists every
    object, why it is selected and the exact bytes it frees.
    """
    from dockopt.config import load_config, section
    from dockopt.engine.client import connect
    from dockopt.engine.execute import execute_plan, prune_report
    from dockopt.engine.filters import RepositoryPattern, parse_filters
    from dockopt.engine.plan import Protection, Selection, make_plan
    from dockopt.engine.usage import collect_usage
    from dockopt.report.engine import render_plan, render_result

    parsed = parse_filters(list(filters), until)
    patterns = tuple(RepositoryPattern(p) for p in repositories)
    protection = Protection.from_config(section(load_config(config_path), "prune"))
    selection = Selection(images=images, dangling=dangling, containers=containers, volumes=volumes,
                          build_cache=build_cache, repositories=patterns, keep_last=keep_last, filters=parsed)
    if selection.empty:
        selection = Selection(dangling=True, containers=True, build_cache=True, filters=parsed)

    client = connect()
    usage = collect_usage(client)
    plan = make_plan(usage, selection, protection)
    described = _describe(selection)
    if not yes:
        report = prune_report(plan, described, None)
        write_text(dump_json(report) if fmt == "json" else render_plan(report), None)
        return
    if fmt == "table":
        write_text(render_plan(prune_report(plan, described, None) | {"dry_run": False}), None)

    def progress(outcome) -> None:
        if fmt == "table" and not outcome.removed:
            click.echo(f"dockopt: skipped {outcome.entry.kind} {outcome.entry.name}: {outcome.message}", err=True)

    result = execute_plan(client, usage, plan, on_outcome=progress)
    report = prune_report(plan, described, result)
    write_text(dump_json(report) if fmt == "json" else render_result(report["result"]), None)
    sys.stdout.flush()


def _describe(selection) -> list[str]:
    parts = []
    if selection.containers:
        parts.append("stopped containers")
    if selection.images:
        parts.append("unused images")
    if selection.dangling:
        parts.append("dangling images")
    for p in selection.repositories:
        parts.append(f"repository {p.text}")
    if selection.keep_last is not None:
        parts.append(f"keep the newest {selection.keep_last} per repository")
    if selection.volumes:
        parts.append("unused volumes")
    if selection.build_cache:
        parts.append("build cache")
    if selection.filters.until_ns is not None:
        from datetime import datetime, timezone
        ns = selection.filters.until_ns
        when = datetime.fromtimestamp(ns // 10**9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        parts.append(f"created until {when}.{ns % 10**9:09d}Z")
    if selection.filters.labels:
        parts.append(selection.filters.labels.describe())
    return parts
