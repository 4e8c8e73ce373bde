"""The rule model, the registry, and the per-file context that rules share.

A rule is data (id, title, category, severity, docs) plus a small `check(ctx)` generator that
yields `Hit`s. The engine turns hits into `Finding`s, so rules never build locations by hand.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Callable, Iterable, Iterator

from dockopt.dockerfile.lexer import expand
from dockopt.dockerfile.model import Dockerfile, Instruction, Stage
from dockopt.dockerfile.rules.stage_env import StageEnv
from dockopt.dockerfile.shell import Command, Script, parse_shell
from dockopt.findings import Category, Fix, Severity, TextEdit

CheckFn = Callable[["LintContext"], Iterable["Hit"]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: Category
    severity: Severity
    why: str
    """Why it matters (the first paragraph of `--explain`)."""
    how: str
    """How to fix it."""
    bad: str
    """A short Dockerfile excerpt that triggers the rule."""
    good: str
    """The same excerpt, fixed."""
    check: CheckFn
    fixable: bool = False
    opt_in_fix: bool = False
    """The fix can change behaviour; applied only when asked for (`--fix-unsafe`)."""

    def explain(self) -> str:
        fix = "yes (opt-in: --fix-unsafe)" if self.opt_in_fix else ("yes" if self.fixable else "no")
        return (f"{self.id}: {self.title}\n"
                f"category: {self.category}   default severity: {self.severity}   autofix: {fix}\n\n"
                f"Why it matters\n{_para(self.why)}\n\nHow to fix\n{_para(self.how)}\n\n"
                f"Example (flagged)\n{_indent(self.bad)}\n\nExample (fixed)\n{_indent(self.good)}\n")


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip("\n").splitlines())


def _para(text: str) -> str:
    import textwrap

    return textwrap.fill(" ".join(text.split()), width=96, initial_indent="  ", subsequent_indent="  ")


RULES: dict[str, Rule] = {}


def rule(id: str, title: str, category: Category, severity: Severity, *, why: str, how: str,
         bad: str, good: str, fixable: bool = False, opt_in_fix: bool = False) -> Callable[[CheckFn], CheckFn]:
    """Register a check function as a rule."""

    def register(fn: CheckFn) -> CheckFn:
        if id in RULES:
            raise RuntimeError(f"duplicate rule id {id}")
        RULES[id] = Rule(id, title, category, severity, why.strip(), how.strip(), bad, good, fn,
                         fixable, opt_in_fix)
        return fn

    return register


@dataclass
class Hit:
    """A rule's result before it becomes a Finding."""

    instruction: Instruction | None
    message: str
    fix: Fix | None = None
    line: int | None = None
    """Overrides the instruction's line (e.g. a line inside a heredoc)."""
    details: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------- RUN analysis

@dataclass(frozen=True)
class Mount:
    type: str
    target: str
    options: dict[str, str]


@dataclass
class RunInfo:
    """What a RUN executes: its shell scripts (shell form and heredoc scripts) and mounts."""

    instruction: Instruction
    scripts: list[Script]
    logical_script: Script | None
    """The shell-form command line (offsets relative to `instruction.args_start`), if any."""
    mounts: list[Mount]

    _commands: list[Command] | None = field(default=None, repr=False)

    @property
    def commands(self) -> list[Command]:
        if self._commands is None:
            self._commands = [c for s in self.scripts for c in s.commands]
        return self._commands

    _index: dict[str, list[Command]] | None = field(default=None, repr=False)

    @property
    def index(self) -> dict[str, list[Command]]:
        """Program name -> its commands in script order."""
        if self._index is None:
            index: dict[str, list[Command]] = {}
            for c in self.commands:
                index.setdefault(c.name, []).append(c)
            self._index = index
        return self._index

    _positions: dict[int, int] | None = field(default=None, repr=False)

    def position(self, cmd: Command) -> int:
        """The index of `cmd` in `commands` (O(1))."""
        if self._positions is None:
            self._positions = {id(c): k for k, c in enumerate(self.commands)}
        return self._positions[id(cmd)]

    _logical_ids: frozenset[int] | None = field(default=None, repr=False)

    def in_command_line(self, cmd: Command) -> bool:
        """`cmd` belongs to the shell-form command line (not a heredoc or an `sh -c` string)."""
        if self._logical_ids is None:
            script = self.logical_script
            self._logical_ids = frozenset(id(c) for c in script.commands) if script else frozenset()
        return id(cmd) in self._logical_ids

    _last: dict[tuple, int] = field(default_factory=dict, repr=False)

    def last_position(self, key: tuple, matches: Callable[[Command], bool]) -> int:
        """The index of the last command for which `matches` holds (-1: none), computed once per
        `key` (what the predicate stands for)."""
        if key not in self._last:
            self._last[key] = next((k for k in range(len(self.commands) - 1, -1, -1)
                                    if matches(self.commands[k])), -1)
        return self._last[key]

    def find(self, *names: str) -> list[Command]:
        """Commands running one of `names`, in script order."""
        index = self.index
        hits = [index[n] for n in names if n in index]
        if not hits:
            return []
        if len(hits) == 1:
            return hits[0]
        wanted = {id(c) for group in hits for c in group}
        return [c for c in self.commands if id(c) in wanted]

    def cache_mounted(self, path: str) -> bool:
        """True when a cache (or tmpfs) mount covers `path` (the target is `path` or a parent)."""
        path = posixpath.normpath(path)
        for m in self.mounts:
            if m.type not in ("cache", "tmpfs") or not m.target:
                continue
            target = posixpath.normpath(m.target)
            if path == target or path.startswith(target.rstrip("/") + "/"):
                return True
        return False

    def source_offset(self, script_offset: int) -> int:
        """Source offset of an offset in `logical_script`."""
        return self.instruction.to_source(self.instruction.args_start + script_offset)

    def source_end(self, script_offset: int) -> int:
        return self.instruction.to_source_end(self.instruction.args_start + script_offset)


def parse_mounts(ins: Instruction) -> list[Mount]:
    mounts = []
    for value in ins.flag_values("mount"):
        opts: dict[str, str] = {}
        for part in value.split(","):
            key, _, val = part.partition("=")
            opts[key.strip().lower()] = val.strip()
        target = opts.get("target") or opts.get("dst") or opts.get("destination") or ""
        mounts.append(Mount(opts.get("type", "bind"), target, opts))
    return mounts


_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})


def analyse_run(ins: Instruction) -> RunInfo:
    scripts: list[Script] = []
    logical: Script | None = None
    if ins.json:
        argv = ins.values
        if len(argv) >= 3 and posixpath.basename(argv[0]) in _SHELLS and argv[1].startswith("-") and "c" in argv[1]:
            scripts.append(parse_shell(argv[2]))
        elif argv:
            scripts.append(parse_shell(" ".join(_quote(a) for a in argv)))
    else:
        logical = parse_shell(ins.args_text)
        scripts.append(logical)
        names = [c.name for c in logical.commands if c.name]
        # `RUN <<EOF` runs the heredoc as a script; so does `RUN bash <<EOF`.
        if ins.heredocs and (not names or names[0] in _SHELLS):
            for doc in ins.heredocs:
                scripts.append(parse_shell(doc.text))
    # `sh -c "apt-get update && …"` inside a script: its commands count too (one level deep).
    for script in list(scripts):
        for cmd in script.commands:
            if cmd.name in _SHELLS:
                args = cmd.args
                for k, arg in enumerate(args[:-1]):
                    if arg.startswith("-") and not arg.startswith("--") and "c" in arg:
                        scripts.append(parse_shell(args[k + 1]))
                        break
    return RunInfo(ins, scripts, logical, parse_mounts(ins))


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'" if any(c in arg for c in " \t'\"$;&|") else arg


# ---------------------------------------------------------------------------- the context

@dataclass
class LintOptions:
    trusted_registries: tuple[str, ...] = (
        "docker.io", "index.docker.io", "registry-1.docker.io", "ghcr.io", "quay.io", "gcr.io",
        "mcr.microsoft.com", "public.ecr.aws", "registry.access.redhat.com", "registry.k8s.io",
        "cgr.dev", "docker.elastic.co",
    )
    unsafe_fixes: bool = False


class LintContext:
    def __init__(self, dockerfile: Dockerfile, options: LintOptions | None = None) -> None:
        self.df = dockerfile
        self.options = options or LintOptions()
        self._runs: dict[int, RunInfo] = {}
        self._env: dict[int, StageEnv] = {}
        self._inherited_memo: dict[tuple[int, str], str | None] = {}
        self._globals: dict[str, str] | None = None
        self._stage_runs: dict[int, list[RunInfo]] = {}
        self._memo: dict[str, object] = {}

    @property
    def stages(self) -> list[Stage]:
        return self.df.stages

    def runs(self, stage: Stage) -> list[RunInfo]:
        cached = self._stage_runs.get(stage.index)
        if cached is None:
            cached = self._stage_runs[stage.index] = [
                self.run(ins.effective) for ins in stage.instructions
                if ins.effective.keyword == "RUN" and not ins.error]
        return cached

    def run(self, ins: Instruction) -> RunInfo:
        key = id(ins)
        if key not in self._runs:
            self._runs[key] = analyse_run(ins)
        return self._runs[key]

    def memo(self, key: str, compute: Callable[[], object]) -> object:
        """A per-file cache for results several rules share."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def all_runs(self) -> Iterator[RunInfo]:
        for stage in self.stages:
            yield from self.runs(stage)

    def uses_buildkit(self) -> bool:
        """BuildKit is evidently in use: a syntax directive, a mount, a heredoc, or `--link`."""
        return self.memo("uses_buildkit", lambda: "syntax" in self.df.directives or any(
            ins.flag("mount") or ins.heredocs or ins.flag("link") for ins in self.df.instructions))  # type: ignore[return-value]

    def stage_is_shipped(self, stage: Stage) -> bool:
        """The final stage, or a stage another stage builds FROM (its layers end up shipped)."""
        if stage is self.df.final_stage:
            return True
        last_use = self.memo("stage_last_use", self._stage_last_use)
        return stage.name is not None and last_use.get(stage.name, -1) > stage.index  # type: ignore[union-attr]

    def _stage_last_use(self) -> dict[str, int]:
        """Stage name -> the highest index of a stage built FROM it."""
        return {other.base.lower(): other.index for other in self.stages}

    def parent_stage(self, stage: Stage) -> Stage | None:
        """The earlier stage this one is built FROM, if any."""
        by_name: dict[str, Stage] = self.memo("stages_by_name", lambda: {  # type: ignore[assignment]
            s.name: s for s in reversed(self.stages) if s.name is not None})
        parent = by_name.get(stage.base.lower())
        return parent if parent is not None and parent.index < stage.index else None

    def position(self, ins: Instruction) -> int:
        """The index of an instruction in its stage's instruction list (O(1))."""
        positions: dict[int, int] = self.memo("positions", lambda: {  # type: ignore[assignment]
            id(i): k for s in self.stages for k, i in enumerate(s.instructions)})
        return positions[id(ins)]

    def global_arg_defaults(self) -> dict[str, str]:
        if self._globals is None:
            self._globals = self._global_arg_defaults()
        return self._globals

    def _global_arg_defaults(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for ins in self.df.global_args:
            for word in ins.values:
                name, eq, value = word.partition("=")
                if eq:
                    env[name] = expand(value, env)
        return env

    def base_image(self, stage: Stage) -> str:
        """The stage's FROM image with global ARG defaults expanded."""
        if "$" not in stage.base:
            return stage.base
        return expand(stage.base, self.global_arg_defaults(), skip_unset=True)

    def stage_env(self, stage: Stage, upto: Instruction | None = None) -> Mapping[str, str]:
        """ENV and ARG values in effect in a stage (optionally before `upto`), ENV values of the
        stage it is built FROM included."""
        return self._stage_env(stage).before(upto)

    def _stage_env(self, stage: Stage) -> StageEnv:
        env = self._env.get(stage.index)
        if env is None:
            env = self._env[stage.index] = StageEnv(
                stage, self.df.escape, lambda name, stage=stage: self._inherited(stage, name))
        return env

    def _inherited(self, stage: Stage, name: str) -> str | None:
        """The ENV value `stage` inherits through its FROM chain (iterative, memoised per link)."""
        chain: list[Stage] = []
        value: str | None = None
        parent = self.parent_stage(stage)
        while parent is not None:
            key = (parent.index, name)
            if key in self._inherited_memo:
                value = self._inherited_memo[key]
                break
            chain.append(parent)
            value = self._stage_env(parent).own_final_env(name)
            if value is not None:
                break
            parent = self.parent_stage(parent)
        # every stage walked without finding its own value inherits the same
        for walked in chain:
            self._inherited_memo[(walked.index, name)] = value
        return value

    def line_indent(self, ins: Instruction) -> str:
        """The indentation used by the instruction's continuation lines (4 spaces by default)."""
        for line in ins.physical_lines[1:]:
            text = self.df.line_text(line)
            stripped = text.lstrip(" \t")
            if stripped:
                return text[: len(text) - len(stripped)]
        return "    "


def edit(start: int, end: int, replacement: str) -> TextEdit:
    return TextEdit(start, end, replacement)
