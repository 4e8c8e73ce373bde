"""`dockopt disk`: the engine's disk usage with exact shared/unique bytes and prune estimates."""

from __future__ import annotations

import click

from dockopt.report.output import dump_json, write_text


@click.command("disk")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write here instead of stdout.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="Config file whose `prune: protect:` section the prune estimates honour.")
def disk(fmt: str, output: str | None, config_path: str | None) -> None:
    """Show where the Docker engine's disk goes: images (shared and unique bytes), repositories,
    containers' writable layers, volumes, build cache, and what each prune would free.

    The engine is the one DOCKER_HOST (or the default socket) names.
    """
    from dockopt.config import load_config, section
    from dockopt.engine.client import connect
    from dockopt.engine.disk import disk_report
    from dockopt.engine.plan import Protection
    from dockopt.engine.usage import collect_usage
    from dockopt.report.engine import render_disk

    protection = Protection.from_config(section(load_config(config_path), "prune"))
    report = disk_report(collect_usage(connect()), protection)
    write_text(dump_json(report) if fmt == "json" else render_disk(report), output)
