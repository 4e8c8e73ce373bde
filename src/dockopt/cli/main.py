"""The `dockopt` command group. Subcommands load lazily so `dockopt --help` stays fast."""

from __future__ import annotations

import importlib
import os
import sys

import click

from dockopt import __version__
from dockopt.errors import EXIT_ERROR, DockoptError

# name -> "module:attribute" of a click command. One line per command.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("dockopt.cli.analyze:analyze", "Layer sizes, wasted bytes and efficiency of an image."),
    "context": ("dockopt.cli.context:context_command", "What docker build sends; .dockerignore advice and --fix."),
    "doctor": ("dockopt.cli.doctor:doctor", "Check the engine, registry credentials, vulnerability data and cache."),
    "disk": ("dockopt.cli.disk:disk", "Engine disk usage: shared/unique bytes per image, what prunes free."),
    "prune": ("dockopt.cli.prune:prune", "Plan and remove unused images, containers, volumes, build cache."),
    "lint": ("dockopt.cli.lint:lint", "Lint Dockerfiles for size, security, speed and correctness; --fix them."),
    "db": ("dockopt.cli.db:db", "Manage the local vulnerability database (OSV data)."),
    "scan": ("dockopt.cli.scan:scan", "Find known vulnerabilities in an SBOM's (or image's) packages."),
    "sbom": ("dockopt.cli.sbom:sbom", "Packages and licenses in an image (table, JSON, CycloneDX, SPDX)."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table, so listing commands imports none of them.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="dockopt")
def cli() -> None:
    """dockopt makes container images smaller, safer and faster to build.

    Exit codes: 0 clean, 1 findings at or above the failure threshold, 2 error.
    """


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="dockopt", standalone_mode=False)
    except DockoptError as exc:
        click.echo(f"dockopt: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("dockopt: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR if exc.exit_code == 2 else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("dockopt: interrupted", err=True)
        sys.exit(130)


def run() -> None:
    """The console entry point: `main`, then exit without tearing the interpreter down. Every
    file has been written and closed by then, and freeing a large image model object by object
    takes longer than the kernel takes to reclaim the whole process."""
    code = 0
    try:
        main()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass
    os._exit(code)
