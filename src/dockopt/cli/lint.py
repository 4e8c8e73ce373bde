"""`dockopt lint`: Dockerfile findings for size, security, speed and correctness, with autofix."""

from __future__ import annotations

import difflib
import gc
import os
import sys
from pathlib import Path

import click

from dockopt.errors import EXIT_FINDINGS, EXIT_OK, InputError, UsageError
from dockopt.findings import Severity, exceeds
from dockopt.units import plural

FORMATS = ("table", "json", "sarif", "junit")
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


# `Dockerfile.md` or `Dockerfile.py` beside a Dockerfile are documentation and code, not Dockerfiles.
_NOT_DOCKERFILE_SUFFIXES = (".dockerignore", ".md", ".rst", ".txt", ".py", ".sh", ".json", ".yml", ".yaml",
                            ".toml", ".orig", ".rej", ".swp", ".bak", "~")


def is_dockerfile_name(name: str) -> bool:
    """`Dockerfile*` (as Docker spells it, plus plain `dockerfile`) and `*.dockerfile`."""
    lower = name.lower()
    if lower.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return name.startswith("Dockerfile") or lower == "dockerfile" or lower.endswith(".dockerfile")


def discover(paths: tuple[str, ...]) -> list[str]:
    """Explicit files as given; directories searched for Dockerfile* and *.dockerfile."""
    out: list[str] = []
    for given in paths or (".",):
        if given == "-":
            out.append("-")
            continue
        p = Path(given)
        if p.is_dir():
            found = []
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                found.extend(os.path.normpath(os.path.join(root, f)) for f in files if is_dockerfile_name(f))
            if not found and paths:
                raise InputError(f"no Dockerfile (Dockerfile*, *.dockerfile) found under {given}")
            out.extend(sorted(found))
        elif p.exists():
            out.append(given)
        else:
            raise InputError(f"no such file or directory: {given}")
    if not out:
        raise InputError("no Dockerfile found (give files or directories to lint)")
    return list(dict.fromkeys(out))


def read_dockerfile(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
        if b"\0" in data[:8192]:
            raise InputError("standard input is not a text file")
        return data.decode("utf-8", errors="replace")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\0" in data[:8192]:
        raise InputError(f"{path} is not a text file")
    return data.decode("utf-8", errors="replace")


def _severity_or_never(value: str | None) -> Severity | None | str:
    if value is None:
        return "unset"
    return None if value.lower() == "never" else Severity.parse(value)


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file (atomic).")
@click.option("--fail-on", metavar="SEVERITY", help="Exit 1 at or above: info|low|medium|high|critical|never "
              "(default: config `lint: fail-on`, else medium).")
@click.option("--ignore", "ignore", multiple=True, metavar="ID", help="Skip a rule (repeatable).")
@click.option("--trusted-registry", multiple=True, metavar="HOST",
              help="Trusted registry for DO206 (repeatable; replaces the default list).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the files (atomically), then report what is left.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff; change nothing.")
@click.option("--fix-unsafe", is_flag=True, help="With --fix (implied) or --diff: also the fixes that may change behaviour (slim base image).")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not in this baseline file.")
@click.option("--write-baseline", is_flag=True, help="Write the current findings to --baseline and exit 0.")
@click.option("--explain", metavar="ID", help="Explain a rule: why it matters, how to fix, an example.")
@click.option("--list-rules", is_flag=True, help="List every rule.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Config file (default: search).")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Worker processes for many files (default: one per CPU from 48 files on).")
@click.option("-q", "--quiet", is_flag=True, help="Only the findings: no summary line, no messages about fixes or baselines.")
def lint(paths, fmt, output, fail_on, ignore, trusted_registry, fix, show_diff, fix_unsafe, baseline,
         write_baseline, explain, list_rules, config_path, jobs, quiet) -> None:
    """Lint Dockerfiles: files (`-` for standard input), or directories searched for Dockerfile*
    and *.dockerfile (default: the current directory)."""
    from dockopt.config import load_config, section
    from dockopt.dockerfile.lint import LintConfig
    from dockopt.dockerfile.rules import RULES
    from dockopt.report.output import write_text

    if explain:
        rule = RULES.get(explain.upper())
        if rule is None:
            raise UsageError(f"unknown rule id {explain!r} (see --list-rules)")
        click.echo(rule.explain(), nl=False)
        return
    if list_rules:
        for r in RULES.values():
            fixable = "fix" if r.fixable else ""
            click.echo(f"{r.id}  {str(r.category):<11} {str(r.severity):<8} {fixable:<4} {r.title}")
        return
    if write_baseline and not baseline:
        raise UsageError("--write-baseline needs --baseline FILE")
    if fix and show_diff:
        raise UsageError("use either --fix or --diff")

    config = LintConfig.from_section(section(load_config(config_path), "lint"))
    for rule_id in ignore:
        if rule_id.upper() not in RULES:
            raise UsageError(f"unknown rule id {rule_id!r} in --ignore")
        config.ignore.add(rule_id.upper())
    if trusted_registry:
        config.trusted_registries = tuple(trusted_registry)
    threshold = _severity_or_never(fail_on)
    if threshold != "unset":
        config.fail_on = threshold  # type: ignore[assignment]
    config.unsafe_fixes = config.unsafe_fixes or fix_unsafe

    known = None
    if baseline and not write_baseline:
        from dockopt.baseline import read_baseline

        known = read_baseline(baseline) if Path(baseline).exists() else None

    # A short-lived process making many small acyclic objects: the cyclic collector only costs time.
    gc.disable()
    files = discover(tuple(paths))
    if "-" in files and (fix or fix_unsafe):
        raise UsageError("--fix cannot rewrite standard input; use --diff")
    texts = {path: read_dockerfile(path) for path in files}

    if fix or show_diff or fix_unsafe:
        from dockopt.dockerfile.fix import fix_text

        diffs = []
        for path, text in texts.items():
            result = fix_text(text, path, config)
            if not result.changed:
                continue
            if show_diff:
                diffs.append("".join(difflib.unified_diff(
                    text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                    fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}")))
            else:
                _write_same_mode(path, result.text)
                texts[path] = result.text
                if not quiet:
                    click.echo(f"fixed {path}: " + ", ".join(f"{a.rule_id}" for a in result.applied), err=True)
        if show_diff:
            write_text("".join(diffs), output)
            sys.exit(EXIT_FINDINGS if diffs else EXIT_OK)

    from dockopt.dockerfile.batch import lint_texts

    findings = lint_texts(list(texts.items()), config, jobs)

    if write_baseline:
        from dockopt.baseline import write_baseline as write

        write(baseline, findings)
        if not quiet:
            click.echo(f"baseline {baseline}: {plural(len(findings), 'finding')} recorded", err=True)
        return
    if known is not None:
        from dockopt.baseline import new_findings

        findings = new_findings(findings, known)

    write_text(_render(fmt, findings, files, config.fail_on, output, quiet), output)
    sys.exit(EXIT_FINDINGS if exceeds(findings, config.fail_on) else EXIT_OK)


def _render(fmt: str, findings, files: list[str], threshold, output, quiet: bool = False) -> str:
    from dockopt.report import findings_formats as out

    if fmt == "json":
        return out.render_json(findings, files)
    if fmt == "sarif":
        from dockopt.dockerfile.rules import RULES

        infos = [out.RuleInfo(r.id, r.title, str(r.category), r.severity, r.explain()) for r in RULES.values()]
        return out.render_sarif(findings, infos)
    if fmt == "junit":
        return out.render_junit(findings, files, threshold)
    to_terminal = output in (None, "-")
    color = to_terminal and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    from dockopt.report.layout import output_width

    return out.render_table(findings, files, color=color, width=output_width() if to_terminal else None,
                            summary=not quiet)


def _write_same_mode(path: str, text: str) -> None:
    """Atomic rewrite of a Dockerfile keeping its permission bits and exact bytes."""
    from dockopt.report.output import write_text

    write_text(text, path, newline="")
