"""`dockopt doctor`: what this machine has for dockopt, and what to fix."""

from __future__ import annotations

import shutil
import sys
import textwrap

import click

from dockopt.cli.db import DB_HELP, resolve_db


@click.command("doctor")
@click.option("--db", "db_path", metavar="PATH", help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def doctor(db_path: str | None, fmt: str) -> None:
    """Check the engine, registry credentials, vulnerability database and cache.

    One line per finding, with what to do about it. Reads only; changes nothing.
    Exit 0 when nothing needs fixing, 1 when something does.
    """
    from dockopt.doctor import diagnose
    from dockopt.report.output import dump_json, write_text

    result = diagnose(resolve_db(db_path))
    if fmt == "json":
        write_text(dump_json({"schema_version": 1, "needs_fixing": result.needs_fixing,
                              "checks": [c.to_dict() for c in result.checks]}), None)
    else:
        width = max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))
        lines = []
        for check in result.checks:
            lines += textwrap.wrap(f"{check.status:<4} {check.area}: {check.detail}", width,
                                   subsequent_indent=" " * 5, break_on_hyphens=False)
            if check.fix:
                lines += textwrap.wrap(f"-> {check.fix}", width, initial_indent=" " * 5,
                                       subsequent_indent=" " * 8, break_on_hyphens=False)
        sys.stdout.write("\n".join(lines) + "\n")
    sys.exit(1 if result.needs_fixing else 0)
