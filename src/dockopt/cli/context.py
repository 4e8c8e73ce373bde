"""`dockopt context [DIR] [-f Dockerfile]`: what `docker build` would send, and how to send less."""

from __future__ import annotations

import sys
from typing import Any

import click

from dockopt.errors import EXIT_FINDINGS, EXIT_OK, InputError
from dockopt.units import plural

SCHEMA_VERSION = 1


@click.command("context")
@click.argument("directory", default=".", required=False)
@click.option("-f", "--file", "dockerfile", default=None,
              help="Dockerfile (default: DIR/Dockerfile; a relative path is relative to the current directory).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--top", default=10, show_default=True, type=click.IntRange(0),
              help="How many of the heaviest files and directories to show.")
@click.option("--fix", is_flag=True, help="Append the suggested patterns to the ignore file in effect.")
@click.option("--list", "list_files", is_flag=True, help="Print every sent path (one per line) and nothing else.")
@click.option("--dialect", type=click.Choice(["buildkit", "legacy-buildkit", "legacy-classic"]),
              default=None, help="Docker's .dockerignore flavour: buildkit (Docker 23+, default), "
                                 "legacy-buildkit / legacy-classic (Docker 20.10).")
@click.option("--fail-on", default=None,
              help="Exit 1 when a finding is at or above this severity (default: high; 'none' never fails).")
def context_command(directory: str, dockerfile: str | None, fmt: str, top: int, fix: bool,
                    list_files: bool, dialect: str | None, fail_on: str | None) -> None:
    """Show what `docker build` would send: size, heaviest paths, files no COPY/ADD reaches,
    and .dockerignore suggestions (--fix writes them)."""
    from dockopt.config import load_config, section
    from dockopt.dockerfile.context import heaviest_directories, heaviest_files, load_context
    from dockopt.dockerfile.context_advice import findings, fix_ignore_file, suggest, unreachable
    from dockopt.dockerfile.context_refs import context_references
    from dockopt.findings import Severity, exceeds

    settings = section(load_config(), "context")
    dialect = dialect or settings.get("dialect") or "buildkit"
    threshold_text = fail_on or str(settings.get("fail-on", "high"))
    threshold = None if threshold_text.lower() == "none" else Severity.parse(threshold_text)

    ctx = load_context(directory, dockerfile, dialect)
    try:
        dockerfile_text = ctx.dockerfile.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read Dockerfile {ctx.dockerfile}: {exc.strerror or exc}") from None
    if list_files:
        sys.stdout.write("".join(e.path + "\n" for e in ctx.entries if e.kind != "dir"))
        return

    refs = context_references(dockerfile_text)
    suggestions = suggest(ctx, refs)
    fixed: dict[str, Any] | None = None
    if fix:
        target = ctx.ignore_file or ctx.root / ".dockerignore"
        added = fix_ignore_file(target, suggestions)
        fixed = {"file": str(target), "added": added}
        if added:  # show the context as it is now
            ctx = load_context(directory, dockerfile, dialect)
            suggestions = suggest(ctx, refs)
    lost = unreachable(ctx, refs)
    results = findings(suggestions, lost, str(ctx.ignore_file or ctx.root / ".dockerignore"))

    files = ctx.files
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "context": str(ctx.root),
        "dockerfile": str(ctx.dockerfile),
        "ignore_file": str(ctx.ignore_file) if ctx.ignore_file else None,
        "dialect": ctx.dialect.name,
        "sent": {"files": len(files), "bytes": ctx.total_bytes,
                 "directories": len(ctx.entries) - len(files),
                 "symlinks": sum(1 for e in files if e.kind == "symlink")},
        "unreadable": ctx.unreadable,
        "heaviest_directories": [vars(w) for w in heaviest_directories(ctx, top)],
        "heaviest_files": [{"path": w.path, "bytes": w.bytes} for w in heaviest_files(ctx, top)],
        "unreachable": {
            "known": not refs.whole_context,
            "reason": _reach_reason(refs),
            "files": sum(u.files for u in lost),
            "bytes": sum(u.bytes for u in lost),
            "paths": [vars(u) for u in lost],
        },
        "suggestions": [s.to_dict() for s in suggestions],
        "findings": [f.to_dict() for f in results],
        "fix": fixed,
    }
    if fmt == "json":
        from dockopt.report.output import dump_json

        sys.stdout.write(dump_json(report))
    else:
        _render_table(report, top)
    sys.exit(EXIT_FINDINGS if exceeds(results, threshold) else EXIT_OK)


def _reach_reason(refs: Any) -> str | None:
    if refs.unresolved:
        return "unresolved variable in " + ", ".join(refs.unresolved)
    if refs.whole_context:
        return "the Dockerfile copies or mounts the whole context"
    return None


def _render_table(report: dict[str, Any], top: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from dockopt.report.layout import shorten_middle

    from dockopt.report.output import human_bytes

    console = Console()
    sent = report["sent"]
    ignore = report["ignore_file"] or "none"
    room = max(20, console.width - 14)
    console.print(f"[bold]Build context[/bold] {escape(shorten_middle(report['context'], room))}", highlight=False)
    console.print(f"ignore file: {escape(shorten_middle(ignore, room))}; dialect: {report['dialect']}", highlight=False)
    console.print(f"Sends {sent['files']} files, {human_bytes(sent['bytes'])} ({sent['bytes']} bytes)")
    for path in report["unreadable"]:
        console.print(f"[red]unreadable, docker build will fail:[/red] {path}")
    if top and report["heaviest_directories"]:
        table = Table(title="Heaviest directories", title_justify="left")
        table.add_column("size", justify="right")
        table.add_column("files", justify="right")
        table.add_column("directory", no_wrap=True)
        for row in report["heaviest_directories"]:
            table.add_row(human_bytes(row["bytes"]), str(row["files"]), escape(shorten_middle(row["path"] + "/", room)))
        console.print(table)
    if top and report["heaviest_files"]:
        table = Table(title="Heaviest files", title_justify="left")
        table.add_column("size", justify="right")
        table.add_column("file", no_wrap=True)
        for row in report["heaviest_files"]:
            table.add_row(human_bytes(row["bytes"]), escape(shorten_middle(row["path"], room)))
        console.print(table)
    lost = report["unreachable"]
    if not lost["known"]:
        console.print(f"Every sent file may be used ({lost['reason']}).")
    elif lost["paths"]:
        table = Table(title=f"Sent but never copied or mounted: {lost['files']} files, "
                            f"{human_bytes(lost['bytes'])}", title_justify="left")
        table.add_column("size", justify="right")
        table.add_column("files", justify="right")
        table.add_column("path", no_wrap=True)
        for row in lost["paths"][: max(top, 1)]:
            table.add_row(human_bytes(row["bytes"]), str(row["files"]),
                          escape(shorten_middle(row["path"] + ("/" if row["kind"] == "dir" else ""), room - 10)))
        console.print(table)
    if report["suggestions"]:
        table = Table(title="Suggested .dockerignore patterns", title_justify="left")
        table.add_column("pattern")
        table.add_column("saves", justify="right")
        table.add_column("files", justify="right")
        table.add_column("kind")
        table.add_column("severity")
        for row in report["suggestions"]:
            table.add_row(row["pattern"], human_bytes(row["bytes"]), str(row["files"]), row["kind"],
                          row["severity"])
        console.print(table)
        if not report["fix"]:
            console.print("Run with --fix to append them.")
    else:
        console.print("No .dockerignore suggestions.")
    if report["fix"] is not None:
        added = report["fix"]["added"]
        if added:
            console.print(f"Added {plural(len(added), 'pattern')} to {report['fix']['file']}: {', '.join(added)}")
        else:
            console.print(f"{report['fix']['file']} already up to date.")
