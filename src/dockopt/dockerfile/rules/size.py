"""Size rules (DO1xx): what makes the image bigger than it needs to be."""

from __future__ import annotations

import fnmatch
import posixpath
import re

from dockopt.dockerfile.model import Instruction
from dockopt.dockerfile.rules.base import Hit, LintContext, RunInfo, rule
from dockopt.dockerfile.rules.edits import (
    append_command,
    delete_instruction,
    in_logical_script,
    insert_after_word,
    merge_runs,
    mergeable,
)
from dockopt.dockerfile.rules.packages import MANAGERS, installed_packages, removed_packages, virtual_name
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
            env = ctx.stage_env(stage, info.instruction)
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
            if cmd.subcommand() != "install":
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
        for k, info in enumerate(runs):
            if not _is_update_only(info):
                continue
            target = next((r for r in runs[k + 1:] if any(
                c.subcommand() == "install" for c in r.find("apt-get", "apt"))), None)
            fix = None
            if target is not None:
                ins = info.instruction
                following = stage.instructions[stage.instructions.index(ins) + 1]
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


_DOWNLOADERS = frozenset({"curl", "wget"})
_ARCHIVE = re.compile(r"\.(tar|tgz|tbz2?|txz|tzst|zip|gz|bz2|xz|zst|7z|rar|jar|deb|rpm|apk|whl)$")


def _downloads(info: RunInfo) -> list[str]:
    """Paths of files written by curl/wget in a RUN (relative names kept as written)."""
    out = []
    for cmd in info.find(*_DOWNLOADERS):
        args = cmd.args
        for i, arg in enumerate(args):
            if arg in ("-o", "-O", "--output", "--output-document") and i + 1 < len(args) \
                    and not (cmd.name == "curl" and arg == "-O"):
                out.append(args[i + 1])
            elif arg.startswith(("--output=", "--output-document=")):
                out.append(arg.split("=", 1)[1])
            elif arg.startswith("-o") and len(arg) > 2 and cmd.name == "curl":
                out.append(arg[2:])
            elif re.fullmatch(r"-[a-zA-Z]*o", arg) and cmd.name == "curl" and i + 1 < len(args):
                out.append(args[i + 1])  # `curl -fsSLo file`
            elif re.fullmatch(r"-[a-zA-Z]*O", arg) and cmd.name == "wget" and i + 1 < len(args):
                out.append(args[i + 1])  # `wget -qO file`
        urls = [a for a in args if "://" in a]
        remote_name = cmd.name == "wget" and not any(a in ("-O", "--output-document", "-qO-") or a.startswith("-O")
                                                      for a in args)
        remote_name = remote_name or (cmd.name == "curl" and cmd.has_option("-O", "--remote-name"))
        if remote_name:
            out.extend(posixpath.basename(u.split("?", 1)[0]) for u in urls)
    return [p for p in out if p and p != "-"]


def _removes(info: RunInfo, path: str) -> bool:
    base = posixpath.basename(path)
    for cmd in info.find("rm"):
        for arg in cmd.args:
            if arg.startswith("-"):
                continue
            if arg == path or posixpath.basename(arg) == base and "/" not in path or \
                    fnmatch.fnmatch(path, arg) or path.startswith(arg.rstrip("/") + "/"):
                return True
    return False


@rule("DO104", "Download, extract and delete spread over several RUNs", SIZE, Severity.HIGH, fixable=True,
      why="""Each RUN is a layer. A file downloaded in one RUN and deleted in a later one is still in the
first layer: the image carries the archive even though no container ever sees it.""",
      how="Download, extract (or install) and delete in one RUN, or use a multi-stage build.",
      bad="RUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz\nRUN tar -xzf /tmp/app.tgz -C /opt\nRUN rm /tmp/app.tgz",
      good="RUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz \\\n    && tar -xzf /tmp/app.tgz -C /opt \\\n    && rm /tmp/app.tgz")
def download_extract_delete(ctx: LintContext):
    for stage in ctx.stages:
        for info, path, later in download_chains(ctx, stage):
            fix = _merge_sequence(ctx, stage.instructions, info.instruction, later.instruction)
            yield Hit(info.instruction, f"{path} is downloaded here and deleted at line "
                      f"{later.instruction.line}: it stays in this layer", fix=fix,
                      details={"path": path, "deleted_at": later.instruction.line})


def download_chains(ctx: LintContext, stage) -> list[tuple[RunInfo, str, RunInfo]]:
    """(RUN that downloads, path, later RUN that deletes it) in a stage."""
    out = []
    runs = list(ctx.runs(stage))
    for k, info in enumerate(runs):
        for path in _downloads(info):
            if _removes(info, path):
                continue
            later = next((r for r in runs[k + 1:] if _removes(r, path)), None)
            if later is not None:
                out.append((info, path, later))
    return out


def _merge_sequence(ctx: LintContext, instructions: list[Instruction], first: Instruction,
                    last: Instruction) -> Fix | None:
    i, j = instructions.index(first), instructions.index(last)
    chain = instructions[i:j + 1]
    if any(ins.keyword != "RUN" for ins in chain):
        return None
    edits: list[TextEdit] = []
    for a, b in zip(chain, chain[1:]):
        fix = merge_runs(ctx, a, b, "merge")
        if fix is None:
            return None
        edits.extend(fix.edits)
    return Fix(f"merge the RUNs at lines {first.line}-{last.line} into one", tuple(edits))


@rule("DO105", "File added in one layer and removed in a later one", SIZE, Severity.MEDIUM,
      why="""Deleting a file in a later layer only hides it; the bytes stay in the layer that added it
and are pulled with the image.""",
      how="""Do not COPY/ADD files you delete later: use a bind mount (`RUN --mount=type=bind,source=x,target=/x`),
a multi-stage build, or a .dockerignore entry.""",
      bad="COPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt && rm /tmp/app.tar.gz",
      good="RUN --mount=type=bind,source=app.tar.gz,target=/tmp/app.tar.gz tar -xzf /tmp/app.tar.gz -C /opt")
def added_then_removed(ctx: LintContext):
    for stage in ctx.stages:
        if not ctx.stage_is_shipped(stage):
            continue
        workdir = "/"
        added: list[tuple[str, Instruction]] = []
        for ins in stage.instructions:
            eff = ins.effective
            if ins.sub is not None:
                continue
            if eff.keyword == "WORKDIR" and eff.values:
                workdir = posixpath.join(workdir, eff.values[0])
            elif eff.keyword in ("COPY", "ADD"):
                dest = eff.copy_destination()
                if dest is None:
                    continue
                dest = posixpath.join(workdir, dest)
                for src in eff.copy_sources():
                    if dest.endswith("/") or len(eff.copy_sources()) > 1:
                        added.append((posixpath.join(dest, posixpath.basename(src.rstrip("/"))), ins))
                    else:
                        added.append((posixpath.normpath(dest), ins))
            elif eff.keyword == "RUN" and not eff.error:
                info = ctx.run(eff)
                for path, origin in list(added):
                    if _removes(info, path) and not path.endswith(("/.", "/")):
                        added.remove((path, origin))
                        yield Hit(ins, f"{path} (added at line {origin.line}) is removed here; it stays "
                                  "in the earlier layer", details={"path": path, "added_at": origin.line})
                downloaded = set(_downloads(info))
                for path in _created_paths(info, workdir):
                    if path not in downloaded and not _removes(info, path):  # downloads: DO104
                        added.append((path, ins))


_GIT_CLONE_VALUE_OPTIONS = frozenset({"--depth", "-b", "--branch", "-o", "--origin", "-c", "--config",
                                      "--reference", "--separate-git-dir", "-j", "--jobs", "-u",
                                      "--upload-pack", "--shallow-since", "--shallow-exclude"})


def _created_paths(info: RunInfo, workdir: str) -> list[str]:
    """Files and directories a RUN creates that a later RUN might delete: `git clone` targets and
    files written by `>` redirections."""
    out = []
    for cmd in info.commands:
        if cmd.name == "git" and cmd.subcommand() == "clone":
            rest, skip = [], False
            for a in cmd.args[1:]:
                if skip:
                    skip = False
                elif a in _GIT_CLONE_VALUE_OPTIONS:
                    skip = True
                elif not a.startswith("-"):
                    rest.append(a)
            if rest:
                target = rest[1] if len(rest) > 1 else posixpath.basename(rest[0].rstrip("/")).removesuffix(".git")
                out.append(posixpath.normpath(posixpath.join(workdir, target)))
        reds = cmd.redirects
        for k, tok in enumerate(reds):
            if tok.kind != "redirect" or not tok.value.lstrip("0123456789&").startswith(">"):
                continue
            target = tok.value.lstrip("0123456789&").lstrip(">|")
            if not target and k + 1 < len(reds) and reds[k + 1].kind == "word":
                target = reds[k + 1].value
            if target and not target.startswith(("/dev/", "&")):
                out.append(posixpath.normpath(posixpath.join(workdir, target)))
    return out


@rule("DO106", "Consecutive RUN instructions", SIZE, Severity.LOW, fixable=True,
      why="""Every RUN adds a layer. Consecutive RUNs that belong together add layer overhead, and
anything one of them deletes is still stored by the previous one.""",
      how="Join them with `&&` in one RUN (keep separate RUNs only where you want a separate cache step).",
      bad="RUN groupadd app\nRUN useradd -g app app", good="RUN groupadd app \\\n    && useradd -g app app")
def consecutive_runs(ctx: LintContext):
    for stage in ctx.stages:
        ins_list = stage.instructions
        chained: set[int] = set()
        for info, _, later in download_chains(ctx, stage):
            first, last = ins_list.index(info.instruction), ins_list.index(later.instruction)
            chained.update(range(first, last))
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


# official image -> how to name the slim variant of a tag
_SLIM = {
    "python": "slim", "node": "slim", "ruby": "slim", "perl": "slim", "debian": "slim",
    "openjdk": "slim", "golang": "alpine", "eclipse-temurin": "jre",
}
_NOT_BIG = re.compile(r"(^|[-_.])(slim|alpine|jre|distroless|minimal|busybox|nanoserver|windowsservercore|musl|static)([-_.]|$)")


def slim_tag(repo: str, tag: str) -> str | None:
    """The slim variant of an official image tag, or None when there is none or it is slim."""
    variant = _SLIM.get(repo)
    if variant is None or _NOT_BIG.search(tag) or tag == "latest":
        return None
    if repo == "eclipse-temurin":
        return tag.replace("-jdk", "-jre") if "-jdk" in tag else (f"{tag}-jre" if re.fullmatch(r"[\d.]+", tag) else None)
    if repo == "debian":
        return f"{tag}-slim" if re.fullmatch(r"[a-z]+|[\d.]+", tag) else None
    if repo == "golang":
        return f"{tag}-alpine" if re.fullmatch(r"[\d.]+", tag) else None
    m = re.fullmatch(r"([\d.]+)(?:-(bookworm|bullseye|buster|trixie))?", tag)
    if not m:
        return None
    if m.group(2):
        return f"{m.group(1)}-{m.group(2)}-slim" if repo == "node" else f"{m.group(1)}-slim-{m.group(2)}"
    return f"{m.group(1)}-{variant}"


def split_image(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """(registry, repository path, tag, digest) of an image reference."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    registry = None
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, ref = first, rest
    tag = None
    last_slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > last_slash:
        ref, tag = ref[:colon], ref[colon + 1:]
    return registry, ref, tag, digest


@rule("DO109", "A slim variant of the base image exists", SIZE, Severity.LOW, fixable=True, opt_in_fix=True,
      why="""Full official images (python, node, ruby, debian, golang, openjdk…) carry compilers,
headers and tools for building; the slim variant of the same version is often 3-10x smaller.""",
      how="""Use the `-slim` (or JRE, or alpine) variant in the final stage, adding only the packages you
need. The fix is opt-in (`--fix-unsafe`) because a missing tool can break the build.""",
      bad="FROM python:3.12", good="FROM python:3.12-slim")
def slim_base(ctx: LintContext):
    stage = ctx.df.final_stage
    if stage is None:
        return
    image = ctx.base_image(stage)
    registry, repo, tag, digest = split_image(image)
    if registry not in (None, "docker.io", "index.docker.io") or digest or tag is None:
        return
    repo = repo.removeprefix("library/")
    slim = slim_tag(repo, tag)
    if slim is None or "$" in stage.base:
        return
    ins = stage.from_instruction
    fix = None
    word = next((w for w in ins.words() if w.raw == stage.base), None)
    if word is not None:
        raw_tag_at = word.raw.rfind(":" + tag)
        if raw_tag_at >= 0:
            start = ins.to_source(word.start + raw_tag_at + 1)
            fix = Fix(f"use {repo}:{slim}", (TextEdit(start, start + len(tag), slim),))
    yield Hit(ins, f"{repo}:{tag} has a smaller variant: {repo}:{slim}", fix=fix,
              details={"suggested": f"{repo}:{slim}"})


TOOLCHAIN = frozenset({
    "gcc", "g++", "clang", "build-essential", "make", "cmake", "automake", "autoconf", "libtool",
    "cargo", "rustc", "golang", "golang-go", "go", "gcc-c++", "musl-dev", "build-base", "alpine-sdk",
    "ninja-build", "gfortran", "openjdk-17-jdk", "default-jdk", "maven", "gradle",
})


def toolchain_installs(ctx: LintContext, stage) -> list[tuple[Instruction, str]]:
    """(RUN, package) for compilers/build tools installed in a stage and not removed there."""
    out = []
    for info in ctx.runs(stage):
        removed = removed_packages(info)
        for cmd, pkg in installed_packages(info):
            if pkg in TOOLCHAIN and pkg not in removed and virtual_name(cmd) not in removed:
                out.append((info.instruction, pkg))
    return out


@rule("DO110", "Build toolchain installed in a single-stage build", SIZE, Severity.MEDIUM,
      why="""Compilers and build tools are needed to build, not to run. In a single-stage build they
ship with the image: hundreds of megabytes and a larger attack surface.""",
      how="Build in a first stage and `COPY --from=build` only the result into a small final stage.",
      bad="FROM debian:bookworm\nRUN apt-get install -y gcc make && make -C /src",
      good="FROM debian:bookworm AS build\nRUN apt-get install -y gcc make && make -C /src\n"
           "FROM debian:bookworm-slim\nCOPY --from=build /src/app /usr/local/bin/app")
def single_stage_toolchain(ctx: LintContext):
    if len(ctx.stages) != 1:
        return
    found = toolchain_installs(ctx, ctx.stages[0])
    if found:
        ins = found[0][0]
        names = sorted({pkg for _, pkg in found})
        yield Hit(ins, f"build toolchain ({', '.join(names)}) installed in a single-stage build; "
                  "use a multi-stage build", details={"packages": names})
