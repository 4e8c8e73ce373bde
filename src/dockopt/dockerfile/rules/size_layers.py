"""Size rules about layers (DO104, DO105): bytes that a later layer deletes but cannot take back."""

from __future__ import annotations

import bisect
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


_GLOB = re.compile(r"[*?\[]")


class PendingPaths:
    """Paths waiting for the RUN that deletes them. `take_removed(info)` decides what `_removes`
    decides for each pending path, but looks each `rm` argument up (exact name, bare name,
    directory prefix, glob prefix) instead of testing every pending path: linear in the file."""

    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[int, object]]] = {}
        self._sorted: list[str] = []
        self._seq = 0

    def add(self, path: str, payload: object) -> None:
        entries = self._entries.get(path)
        if entries is None:
            entries = self._entries[path] = []
            bisect.insort(self._sorted, path)
        entries.append((self._seq, payload))
        self._seq += 1

    def _under(self, prefix: str):
        i = bisect.bisect_left(self._sorted, prefix)
        while i < len(self._sorted) and self._sorted[i].startswith(prefix):
            yield self._sorted[i]
            i += 1

    def take_removed(self, info: RunInfo) -> list[tuple[str, object]]:
        """(path, payload) of every pending path an `rm` of this RUN deletes, in the order added;
        they are no longer pending."""
        if not self._entries:
            return []
        matched: set[str] = set()
        for cmd in info.find("rm"):
            for arg in cmd.args:
                if arg.startswith("-"):
                    continue
                if arg in self._entries:
                    matched.add(arg)
                base = posixpath.basename(arg)
                if base in self._entries and "/" not in base:  # `rm /tmp/x` deletes a bare `x`
                    matched.add(base)
                matched.update(self._under(arg.rstrip("/") + "/"))
                glob = _GLOB.search(arg)
                if glob is not None:
                    matched.update(p for p in self._under(arg[:glob.start()]) if fnmatch.fnmatch(p, arg))
        out: list[tuple[int, str, object]] = []
        for path in matched:
            out.extend((seq, path, payload) for seq, payload in self._entries.pop(path))
            del self._sorted[bisect.bisect_left(self._sorted, path)]
        out.sort(key=lambda item: item[0])
        return [(path, payload) for _, path, payload in out]


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
    found: list[tuple[int, RunInfo, str, RunInfo]] = []
    pending = PendingPaths()
    for k, info in enumerate(ctx.runs(stage)):
        for path, (order, origin) in pending.take_removed(info):  # type: ignore[misc]
            found.append((order, origin, path, info))
        for n, path in enumerate(_downloads(info)):
            if not _removes(info, path):
                pending.add(path, ((k, n), info))
    found.sort(key=lambda item: item[0])
    return [(origin, path, later) for _, origin, path, later in found]


# A longer chain is no longer a reviewable edit (and chains that overlap would make the fixes of
# a file grow with the square of its length).
_MAX_MERGED_RUNS = 16


def _merge_sequence(ctx: LintContext, instructions: list[Instruction], first: Instruction,
                    last: Instruction) -> Fix | None:
    i, j = ctx.position(first), ctx.position(last)
    if j - i >= _MAX_MERGED_RUNS:
        return None
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
        added = PendingPaths()
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
                sources = eff.copy_sources()
                for src in sources:
                    if dest.endswith("/") or len(sources) > 1:
                        _add_path(added, posixpath.join(dest, posixpath.basename(src.rstrip("/"))), ins)
                    else:
                        _add_path(added, posixpath.normpath(dest), ins)
            elif eff.keyword == "RUN" and not eff.error:
                info = ctx.run(eff)
                for path, origin in added.take_removed(info):
                    yield Hit(ins, f"{path} (added at line {origin.line}) is removed here; it stays "  # type: ignore[attr-defined]
                              "in the earlier layer", details={"path": path, "added_at": origin.line})  # type: ignore[attr-defined]
                downloaded = set(_downloads(info))
                for path in _created_paths(info, workdir):
                    if path not in downloaded and not _removes(info, path):  # downloads: DO104
                        _add_path(added, path, ins)


def _add_path(added: PendingPaths, path: str, origin: Instruction) -> None:
    if not path.endswith(("/.", "/")):  # a directory's contents, not a file a later rm deletes
        added.add(path, origin)


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
