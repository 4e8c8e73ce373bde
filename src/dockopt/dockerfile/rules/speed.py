"""Speed rules (DO3xx): instruction order and the build cache."""

from __future__ import annotations

import fnmatch
import posixpath
import re

from dockopt.dockerfile.model import Instruction, Stage
from dockopt.dockerfile.rules.base import Hit, LintContext, RunInfo, rule
from dockopt.dockerfile.rules.packages import MANAGERS, OS_MANAGERS
from dockopt.dockerfile.shell import Command
from dockopt.findings import Category, Severity

SPEED = Category.SPEED


def is_whole_context(ins: Instruction) -> bool:
    eff = ins.effective
    if eff.keyword not in ("COPY", "ADD") or eff.flag("from"):
        return False
    return any(posixpath.normpath(s) in (".", "/") or s in ("*", "./*") for s in eff.copy_sources())


def _runs_after_context(stage):
    """(the first COPY of the whole context, each parsed RUN after it) in a stage."""
    copy = None
    for ins in stage.instructions:
        if copy is None and is_whole_context(ins):
            copy = ins
        elif copy is not None and ins.keyword == "RUN" and not ins.error:
            yield copy, ins


def _os_install(info: RunInfo) -> Command | None:
    for mgr in MANAGERS:
        if mgr.name in OS_MANAGERS:
            cmds = mgr.install_commands(info)
            if cmds:
                return cmds[0]
    return None


@rule("DO301", "Whole build context copied before OS packages are installed", SPEED, Severity.MEDIUM,
      why="""`COPY . .` changes whenever any file in the context changes; every instruction after it is
rebuilt, including slow package installs that do not need the sources at all.""",
      how="Install OS packages first, then copy the sources.",
      bad="COPY . /app\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5",
      good="RUN apt-get update && apt-get install -y --no-install-recommends libpq5\nCOPY . /app")
def context_before_packages(ctx: LintContext):
    for stage in ctx.stages:
        for copy, ins in _runs_after_context(stage):
            cmd = _os_install(ctx.run(ins))
            if cmd is not None:
                yield Hit(copy, f"the whole context is copied before `{cmd.name} {cmd.subcommand()}` "
                          f"at line {ins.line}: any source change re-runs the install")
                break


# (program, subcommands or None for any, manifests that pin the dependencies)
_LANG_INSTALLS: tuple[tuple[tuple[str, ...], tuple[str, ...] | None, tuple[str, ...]], ...] = (
    (("pip", "pip3"), ("install",), ("requirements*.txt", "pyproject.toml", "setup.py", "setup.cfg", "*.lock")),
    (("poetry",), ("install",), ("pyproject.toml", "poetry.lock")),
    (("pipenv",), ("install", "sync"), ("Pipfile", "Pipfile.lock")),
    (("uv",), ("sync", "pip"), ("pyproject.toml", "uv.lock", "requirements*.txt")),
    (("npm",), ("ci", "install", "i"), ("package.json", "package-lock.json", "package*.json", "npm-shrinkwrap.json")),
    (("yarn",), ("install", None), ("package.json", "yarn.lock")),
    (("pnpm",), ("install", "i"), ("package.json", "pnpm-lock.yaml")),
    (("go",), ("mod", "build", "install"), ("go.mod", "go.sum")),
    (("mvn", "mvnw", "./mvnw"), None, ("pom.xml",)),
    (("gradle", "gradlew", "./gradlew"), None, ("build.gradle", "build.gradle.kts", "settings.gradle*")),
    (("bundle", "bundler"), ("install",), ("Gemfile", "Gemfile.lock")),
    (("composer",), ("install",), ("composer.json", "composer.lock")),
    (("cargo",), ("build", "fetch", "install"), ("Cargo.toml", "Cargo.lock")),
)


_LANG_PROGRAMS = frozenset(p for programs, _, _ in _LANG_INSTALLS for p in programs)


def _dependency_install(info: RunInfo) -> tuple[Command, tuple[str, ...]] | None:
    if _LANG_PROGRAMS.isdisjoint(info.index):
        return None
    for cmd in info.find(*_LANG_PROGRAMS):
        for programs, subs, manifests in _LANG_INSTALLS:
            if cmd.name not in programs:
                continue
            sub = cmd.subcommand()
            if subs is None or sub in subs:
                if cmd.name.startswith("pip") and sub == "install" and not (
                        cmd.has_option("-r", "--requirement") or "." in cmd.args or "-e" in cmd.args):
                    continue  # `pip install flask` names its packages; no manifest involved
                return cmd, manifests
    return None


def _copies_manifest(ins: Instruction, manifests: tuple[str, ...]) -> bool:
    for src in ins.effective.copy_sources():
        base = posixpath.basename(src.rstrip("/"))
        if any(fnmatch.fnmatch(base, m) or fnmatch.fnmatch(m, base) for m in manifests):
            return True
    return False


@rule("DO302", "Dependency manifests not copied on their own first", SPEED, Severity.MEDIUM,
      why="""When the dependency install comes after `COPY . .`, any source change invalidates it and the
build downloads and installs every dependency again.""",
      how="""Copy only the manifests (requirements.txt, package.json + lock, go.mod/go.sum, pom.xml,
Gemfile…), install dependencies, then copy the rest of the sources.""",
      bad="COPY . /app\nRUN pip install -r /app/requirements.txt",
      good="COPY requirements.txt /app/\nRUN pip install --no-cache-dir -r /app/requirements.txt\nCOPY . /app")
def manifests_first(ctx: LintContext):
    for stage in ctx.stages:
        copy: Instruction | None = None
        earlier: list[Instruction] = []
        copied: dict[tuple[str, ...], bool] = {}
        for ins in stage.instructions:
            if ins.effective.keyword in ("COPY", "ADD") and copy is None:
                if is_whole_context(ins):
                    copy = ins
                else:
                    earlier.append(ins)
            elif copy is not None and ins.keyword == "RUN" and not ins.error:
                found = _dependency_install(ctx.run(ins))
                if found is None:
                    continue
                cmd, manifests = found
                if manifests not in copied:  # a few distinct manifest sets: one scan each
                    copied[manifests] = any(_copies_manifest(e, manifests) for e in earlier)
                if copied[manifests]:
                    continue
                yield Hit(copy, f"`{cmd.name} {cmd.subcommand() or ''}` at line {ins.line} runs after the whole "
                          f"context is copied; copy {manifests[0]} first and install before `COPY .`",
                          details={"manifests": list(manifests), "install_line": ins.line})
                break


@rule("DO303", "apt-get update cached apart from install", SPEED, Severity.MEDIUM,
      why="""An install that relies on an `apt-get update` from an earlier RUN uses whatever lists that
cached layer holds: adding a package later fails with 404s or installs stale versions.""",
      how="Run `apt-get update` in the same RUN as every `apt-get install`.",
      bad="RUN apt-get update\nRUN apt-get install -y --no-install-recommends curl",
      good="RUN apt-get update && apt-get install -y --no-install-recommends curl")
def update_apart(ctx: LintContext):
    for stage in ctx.stages:
        updated_at: int | None = None
        for info in ctx.runs(stage):
            apt = info.find("apt-get", "apt")
            has_update = any(c.subcommand() == "update" for c in apt)
            install = next((c for c in apt if c.subcommand() == "install"), None)
            if install is not None and not has_update and updated_at is not None:
                yield Hit(info.instruction, f"`apt-get install` relies on the `apt-get update` cached at line "
                          f"{updated_at}")
            if has_update:
                updated_at = info.instruction.line


_VOLATILE_ARG = re.compile(r"(BUILD_?(DATE|TIME|NUMBER|ID)|TIMESTAMP|GIT_?(COMMIT|SHA|REV|HASH)|VCS_REF|"
                           r"COMMIT(_?SHA)?|REVISION|SOURCE_COMMIT|CI_COMMIT)", re.I)


def _next_runs(stage: Stage) -> dict[int, Instruction]:
    """id(instruction) -> the first RUN after it in the stage (one backward pass)."""
    out: dict[int, Instruction] = {}
    upcoming: Instruction | None = None
    for ins in reversed(stage.instructions):
        if upcoming is not None:
            out[id(ins)] = upcoming
        if ins.keyword == "RUN":
            upcoming = ins
    return out


@rule("DO304", "Frequently changing ARG declared before RUN instructions", SPEED, Severity.LOW,
      why="""A build argument is part of the cache key of every RUN after its declaration. An ARG that
changes on every build (a date, a commit) declared early re-runs every later RUN.""",
      how="Declare such ARGs as late as possible (just before the LABEL or RUN that uses them).",
      bad="ARG GIT_COMMIT\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nLABEL revision=$GIT_COMMIT",
      good="RUN apt-get update && apt-get install -y --no-install-recommends curl\nARG GIT_COMMIT\nLABEL revision=$GIT_COMMIT")
def volatile_arg(ctx: LintContext):
    for stage in ctx.stages:
        next_runs: dict[int, Instruction] | None = None
        for ins in stage.instructions:
            if ins.keyword != "ARG":
                continue
            names = [w.partition("=")[0] for w in ins.values]
            volatile = [n for n in names if _VOLATILE_ARG.search(n)]
            if not volatile:
                continue
            next_runs = _next_runs(stage) if next_runs is None else next_runs
            run = next_runs.get(id(ins))
            if run is not None and not any(v in run.logical for v in volatile):
                yield Hit(ins, f"ARG {volatile[0]} changes often and invalidates the cache of the RUN at line "
                          f"{run.line} and every RUN after it")


# Commands that prepare the image and never read the build context.
_SETUP_COMMANDS = frozenset({"useradd", "groupadd", "adduser", "addgroup", "usermod", "mkdir", "ln", "echo",
                             "locale-gen", "update-ca-certificates", "ldconfig", "true", "set"})


def _is_setup_run(info: RunInfo) -> bool:
    """Every command is setup: users, directories, or installing *named* packages/tools."""
    cmds = [c for c in info.commands if c.name]
    if not cmds or any(c.redirects for c in cmds):
        return False
    for c in cmds:
        if c.name in _SETUP_COMMANDS:
            continue
        if c.name in ("pip", "pip3") and c.subcommand() == "install" and not (
                c.has_option("-r", "--requirement", "-e", "--editable", "-c") or
                any(a.startswith((".", "/")) for a in c.args)):
            continue
        if c.name == "npm" and c.subcommand() in ("install", "i") and c.has_option("-g", "--global"):
            continue
        return False
    return True


@rule("DO305", "Setup steps after the whole context is copied", SPEED, Severity.LOW,
      why="""Creating users and directories or installing named tools does not need the sources. After
`COPY . .` those steps are re-run whenever any file of the context changes.""",
      how="Move them above the COPY of the sources, so they stay cached while the code changes.",
      bad="COPY . /app\nRUN useradd --system app && mkdir -p /data",
      good="RUN useradd --system app && mkdir -p /data\nCOPY . /app")
def setup_after_context(ctx: LintContext):
    for stage in ctx.stages:
        for copy, ins in _runs_after_context(stage):
            if ins.flags:
                continue
            info = ctx.run(ins)
            if _is_setup_run(info) and _os_install(info) is None:
                yield Hit(ins, f"this RUN does not use the sources copied at line {copy.line}; "
                          "move it above that COPY to keep it cached")
                break
