"""Size rules (DO1xx): what makes the image bigger than it needs to be."""

from __future__ import annotations

import re

from dockopt.dockerfile.rules.base import Hit, LintContext, RunInfo, rule
from dockopt.dockerfile.rules.edits import (
    append_command,
    delete_instruction,
    in_logical_script,
    insert_after_word,
    merge_runs,
    mergeable,
)
from dockopt.dockerfile.rules.packages import MANAGERS, simulated
from dockopt.dockerfile.rules.size_layers import download_chains
from dockopt.findings import Category, Fix, Severity, TextEdit

SIZE = Category.SIZE


@rule("DO101", "Package manager cache left in the layer", SIZE, Severity.MEDIUM, fixable=True,
      why="""Package managers keep indexes and downloaded packages (apt lists, apk/dnf/zypper caches,
pip wheels, npm/yarn/gem caches). Unless the same RUN removes them, they are frozen into the layer
and shipped with every pull; a later RUN that deletes them saves nothing.""",
      how="""Clean the cache in the same RUN (`rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`,
`dnf clean all`, `pip install --no-cache-dir`, `npm cache clean --force`), or use a BuildKit
cache mount (`RUN --mount=type=cache,target=/var/lib/apt/lists …`), which keeps the cache out
of the image and speeds up rebuilds. A cache mount covering the cache silences this rule. The
fix adds the cleanup, or cache mounts when the Dockerfile already uses BuildKit features
(a `# syntax` directive, `--mount`, heredocs, `--link`).""",
      bad="RUN apt-get update && apt-get install -y --no-install-recommends curl",
      good="RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n    && apt-get clean && rm -rf /var/lib/apt/lists/*")
def package_cache(ctx: LintContext):
    for stage in ctx.stages:
        if not ctx.stage_is_shipped(stage):
            continue
        for info in ctx.runs(stage):
            def env(stage=stage, info=info) -> dict[str, str]:
                return ctx.stage_env(stage, info.instruction)

            for mgr in MANAGERS:
                cmds = [c for c in mgr.install_commands(info) if not mgr.cleaned(info, env, c)]
                if not cmds:
                    continue
                cmd = cmds[0]
                fix = None
                if ctx.uses_buildkit() and mgr.name != "gem":
                    fix = _cache_mount_fix(info, mgr.fix_mounts)
                elif mgr.fix_option:
                    fixes = [insert_after_word(info, c, c.subcommand() or "", mgr.fix_option,
                                               f"add {mgr.fix_option}") for c in cmds]
                    if all(fixes):
                        fix = Fix(f"add {mgr.fix_option}", tuple(e for f in fixes for e in f.edits))  # type: ignore[union-attr]
                elif mgr.fix_command and all(in_logical_script(info, c) for c in cmds):
                    command = mgr.fix_command.format(program=cmd.name)
                    if mgr.name == "apt" and any(c.subcommand() == "clean" for c in info.find("apt-get", "apt")):
                        command = command.split(" && ", 1)[1]  # `apt-get clean` is already there
                    fix = append_command(ctx, info, command, f"append `{command}`")
                yield Hit(info.instruction, f"{mgr.name} cache is left in the layer: `{cmd.name} "
                          f"{cmd.subcommand() or ''}` without cleanup in the same RUN or a cache mount",
                          fix=fix, details={"manager": mgr.name})


def _cache_mount_fix(info: RunInfo, targets: tuple[str, ...]) -> Fix | None:
    """BuildKit in use: keep the cache out of the layer with cache mounts (faster rebuilds too)."""
    ins = info.instruction
    if ins.trigger:
        return None
    at = ins.to_source(len(ins.raw_keyword))
    flags = "".join(f" --mount=type=cache,target={t},sharing=locked" for t in targets)
    return Fix("add cache mount(s) for " + ", ".join(targets), (TextEdit(at, at, flags),))


@rule("DO102", "apt-get install without --no-install-recommends", SIZE, Severity.MEDIUM, fixable=True,
      why="""apt installs "recommended" packages by default: often tens of megabytes of documentation
helpers, extra libraries and tools the image never uses.""",
      how="Add `--no-install-recommends` and list what you really need explicitly.",
      bad="RUN apt-get install -y curl", good="RUN apt-get install -y --no-install-recommends curl")
def no_install_recommends(ctx: LintContext):
    for info in ctx.all_runs():
        for cmd in info.find("apt-get", "apt"):
            if cmd.subcommand() != "install" or simulated(cmd):
                continue
            if cmd.has_option("--no-install-recommends") or \
                    any("Install-Recommends=false" in a or "Install-Recommends=0" in a for a in cmd.args):
                continue
            fix = insert_after_word(info, cmd, "install", "--no-install-recommends",
                                    "add --no-install-recommends")
            yield Hit(info.instruction, f"`{cmd.name} install` without --no-install-recommends", fix=fix)


def _is_update_only(info: RunInfo) -> bool:
    cmds = [c for c in info.commands if c.name]
    return bool(cmds) and all(c.name in ("apt-get", "apt") and c.subcommand() == "update" for c in cmds)


@rule("DO103", "apt-get update in a RUN of its own", SIZE, Severity.MEDIUM, fixable=True,
      why="""A RUN with only `apt-get update` stores the package lists in a layer of their own, and
the build cache reuses that layer for months: later `apt-get install`s then use stale lists and fail
or install outdated packages.""",
      how="Run `apt-get update` in the same RUN as `apt-get install`, and remove the lists there.",
      bad="RUN apt-get update\nRUN apt-get install -y --no-install-recommends curl",
      good="RUN apt-get update && apt-get install -y --no-install-recommends curl")
def update_alone(ctx: LintContext):
    for stage in ctx.stages:
        runs = list(ctx.runs(stage))
        # the next RUN that installs with apt, for every RUN (one backward pass)
        next_install: list[RunInfo | None] = [None] * len(runs)
        upcoming: RunInfo | None = None
        for k in range(len(runs) - 1, -1, -1):
            next_install[k] = upcoming
            if any(c.subcommand() == "install" for c in runs[k].find("apt-get", "apt")):
                upcoming = runs[k]
        for k, info in enumerate(runs):
            if not _is_update_only(info):
                continue
            target = next_install[k]
            fix = None
            if target is not None:
                ins = info.instruction
                following = stage.instructions[ctx.position(ins) + 1]
                if following is target.instruction and mergeable(ins, following):
                    fix = merge_runs(ctx, ins, following, "merge apt-get update into the install RUN")
                else:
                    install = next(c for c in target.find("apt-get", "apt") if c.subcommand() == "install")
                    if in_logical_script(target, install) and not ins.flags and info.logical_script:
                        at = target.source_offset(install.start)
                        fix = Fix("move apt-get update into the install RUN", (
                            delete_instruction(ctx.df, ins),
                            TextEdit(at, at, ins.args_text + " && ")))
            yield Hit(info.instruction, "`apt-get update` alone in a RUN: its lists are cached apart "
                      "from the install and go stale", fix=fix)


@rule("DO106", "Consecutive RUN instructions", SIZE, Severity.LOW, fixable=True,
      why="""Every RUN adds a layer. Consecutive RUNs that belong together add layer overhead, and
anything one of them deletes is still stored by the previous one.""",
      how="Join them with `&&` in one RUN (keep separate RUNs only where you want a separate cache step).",
      bad="RUN groupadd app\nRUN useradd -g app app", good="RUN groupadd app \\\n    && useradd -g app app")
def consecutive_runs(ctx: LintContext):
    for stage in ctx.stages:
        ins_list = stage.instructions
        # positions inside a download chain (DO104's merge), as a running count of open chains
        opened = [0] * (len(ins_list) + 1)
        for info, _, later in download_chains(ctx, stage):
            opened[ctx.position(info.instruction)] += 1
            opened[ctx.position(later.instruction)] -= 1
        chained, depth = set(), 0
        for k, delta in enumerate(opened):
            depth += delta
            if depth:
                chained.add(k)
        for k, (a, b) in enumerate(zip(ins_list, ins_list[1:])):
            if a.keyword == "RUN" and b.keyword == "RUN" and mergeable(a, b):
                if _is_update_only(ctx.run(a)) or k in chained:
                    continue  # DO103 / DO104 report (and fix) this pair
                fix = merge_runs(ctx, a, b, f"merge with the RUN at line {a.line}")
                yield Hit(b, f"RUN follows the RUN at line {a.line}; they can be one layer", fix=fix)


_ARCHIVE_EXTRACTED_BY_ADD = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst)$", re.I)


def _is_remote(src: str) -> bool:
    return "://" in src or src.startswith("git@")


@rule("DO107", "ADD used where COPY is meant", SIZE, Severity.LOW, fixable=True,
      why="""ADD also extracts archives and fetches URLs; for plain local files it does the same as
COPY but hides that intent, and a later rename to `.tar` silently changes what it does.""",
      how="Use COPY for local files and directories; keep ADD for local tar archives it should extract.",
      bad="ADD app.py /app/", good="COPY app.py /app/")
def add_for_copy(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        if eff.keyword != "ADD" or eff.error:
            continue
        sources = eff.copy_sources()
        if not sources or any(_is_remote(s) or _ARCHIVE_EXTRACTED_BY_ADD.search(s) or "$" in s for s in sources):
            continue
        fix = None
        if not any(f.name in ("checksum", "keep-git-dir", "unpack") for f in eff.flags) and ins.sub is None:
            start = ins.span.start
            word = "copy" if ins.raw_keyword.islower() else "COPY"
            fix = Fix("ADD -> COPY", (TextEdit(start, start + len(ins.raw_keyword), word),))
        yield Hit(ins, "ADD of local files that are not archives; use COPY", fix=fix)


@rule("DO108", "ADD of a remote URL", SIZE, Severity.MEDIUM,
      why="""`ADD https://…` stores the download in its own layer (an archive is not extracted), so the
image keeps it even when a later RUN extracts and deletes it; it is also re-fetched on every build.""",
      how="""Download, verify and extract in one RUN (`curl -fsSL … | tar -xz`), or pin it with
`ADD --checksum=sha256:…` when the file itself must be in the image.""",
      bad="ADD https://example.com/app.tar.gz /tmp/",
      good="RUN curl -fsSL https://example.com/app.tar.gz | tar -xz -C /opt")
def add_remote(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        if eff.keyword != "ADD" or eff.error:
            continue
        urls = [s for s in eff.copy_sources() if _is_remote(s)]
        if urls:
            yield Hit(ins, f"ADD fetches {urls[0]}: the download stays in its own layer")
