"""Size rules about layers (DO104, DO105): bytes that a later layer deletes but cannot take back."""

from __future__ import annotations

import fnmatch
import posixpath
import re

from dockopt.dockerfile.model import Instruction
from dockopt.dockerfile.rules.base import Hit, LintContext, RunInfo, rule
from dockopt.dockerfile.rules.edits import merge_runs
from dockopt.findings import Category, Fix, Severity, TextEdit

SIZE = Category.SIZE


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
    return ctx.memo(f"download_chains:{stage.index}", lambda: _download_chains(ctx, stage))  # type: ignore[return-value]


def _download_chains(ctx: LintContext, stage) -> list[tuple[RunInfo, str, RunInfo]]:
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
