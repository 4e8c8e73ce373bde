"""Correctness rules (DO4xx): what breaks, or does not do what it looks like."""

from __future__ import annotations

import difflib
import json
import re

from dockopt.dockerfile.lexer import expand
from dockopt.dockerfile.rules.base import Hit, LintContext, rule
from dockopt.dockerfile.shell import parse_shell
from dockopt.findings import Category, Fix, Severity, TextEdit

CORRECT = Category.CORRECTNESS


@rule("DO400", "Dockerfile syntax error", CORRECT, Severity.HIGH,
      why="""BuildKit refuses the file (or the instruction): unknown instruction, unterminated heredoc,
malformed ENV/LABEL, a non-string JSON array, an instruction before the first FROM…""",
      how="Fix the syntax at the reported line; the rest of the file is still checked.",
      bad="FROM debian:bookworm-slim\nRUNN echo hi", good="FROM debian:bookworm-slim\nRUN echo hi")
def syntax_error(ctx: LintContext):
    for issue in ctx.df.issues:
        if issue.severity == "error":
            yield Hit(None, issue.message, line=issue.line)


@rule("DO410", "Empty continuation line", CORRECT, Severity.LOW,
      why="""An empty line inside a `\\`-continued instruction is accepted today but deprecated: future
BuildKit versions will reject it, and it usually means a continuation was left by accident.""",
      how="Remove the blank line, or end the instruction before it.",
      bad="RUN apt-get update && \\\n\n    apt-get install -y curl",
      good="RUN apt-get update && \\\n    apt-get install -y curl")
def empty_continuation(ctx: LintContext):
    for issue in ctx.df.issues:
        if issue.severity == "warning" and "empty continuation" in issue.message:
            yield Hit(None, issue.message, line=issue.line)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NEEDS_SHELL = re.compile(r"[$`*?\[\]{}~\\]")


def _plain_words(text: str) -> list[str] | None:
    """The words of a command line that needs no shell (one command, no operators, redirections,
    expansions or globs), or None."""
    script = parse_shell(text)
    if len(script.commands) != 1 or any(t.kind != "word" for t in script.tokens):
        return None
    cmd = script.commands[0]
    if any("$" in t.raw or "`" in t.raw or _NEEDS_SHELL.search(_QUOTED.sub("", t.raw)) for t in cmd.words):
        return None
    if "=" in cmd.words[0].value.split("/")[0]:
        return None  # `VAR=x app`: an assignment needs the shell
    words = [t.value for t in cmd.words]
    if words[:1] == ["exec"]:
        words = words[1:]  # `CMD exec app`: the exec form already replaces the shell
    return words or None


@rule("DO401", "Shell-form CMD or ENTRYPOINT", CORRECT, Severity.MEDIUM, fixable=True,
      why="""In shell form the program runs under `/bin/sh -c`: the shell is PID 1, so `docker stop`'s
SIGTERM never reaches the application, which is killed after the timeout.""",
      how="Use the exec (JSON array) form; call a shell explicitly only where you need one.",
      bad="CMD python app.py", good='CMD ["python", "app.py"]')
def shell_form_cmd(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        if eff.keyword not in ("CMD", "ENTRYPOINT") or eff.json or not eff.args_text or eff.error:
            continue
        fix = None
        words = _plain_words(eff.args_text) if ins.sub is None else None
        if words:
            start = ins.to_source(eff.args_start)
            end = ins.to_source_end(eff.args_start + len(eff.args_text))
            fix = Fix("use the exec form", (TextEdit(start, end, json.dumps(words, ensure_ascii=False)),))
        yield Hit(ins, f"{eff.keyword} in shell form: signals will not reach the process", fix=fix)


@rule("DO402", "Relative WORKDIR", CORRECT, Severity.LOW,
      why="""A relative WORKDIR is resolved against the previous one, so its meaning depends on every
earlier instruction (and on the base image's WORKDIR).""",
      how="Use an absolute path.", bad="WORKDIR app", good="WORKDIR /app")
def relative_workdir(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        if eff.keyword == "WORKDIR" and eff.values:
            path = eff.values[0].strip("\"'")
            if not (path.startswith(("/", "$")) or re.match(r"^[A-Za-z]:[\\/]", path)):
                yield Hit(ins, f"WORKDIR {path} is relative")


@rule("DO403", "cd in RUN", CORRECT, Severity.INFO,
      why="""A `cd` lasts only for its RUN; the next instruction starts in WORKDIR again, which is a
common source of "file not found" surprises.""",
      how="Use WORKDIR to change directory for the following instructions (or `make -C dir`).",
      bad="RUN cd /app && make", good="WORKDIR /app\nRUN make")
def cd_in_run(ctx: LintContext):
    for info in ctx.all_runs():
        if info.find("cd"):
            yield Hit(info.instruction, "`cd` in RUN: use WORKDIR")


# Shells known to have `-o pipefail`. POSIX sh need not (dash before 0.5.11 has not), so
# `SHELL ["/bin/sh", "-o", "pipefail", …]` is not taken as safe.
_PIPEFAIL_SHELLS = frozenset({"bash", "zsh", "ksh", "ksh93", "mksh", "ash", "busybox"})


def _pipefail_shell(values: list[str]) -> bool:
    """`SHELL [bash, …, -o, pipefail, …]`, the `-o` alone or ending a group of short flags
    (`-eo pipefail`, `-euxo pipefail`)."""
    if not values or values[0].rsplit("/", 1)[-1] not in _PIPEFAIL_SHELLS:
        return False
    return any(flag.startswith("-") and not flag.startswith("--") and flag.endswith("o") and value == "pipefail"
               for flag, value in zip(values, values[1:]))


@rule("DO404", "Pipe without pipefail", CORRECT, Severity.LOW,
      why="""A pipeline's status is that of its last command: `curl … | tar -x` succeeds even when the
download fails, and the build carries on with a broken or missing file.""",
      how="""Set `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN, or start the command with
`set -o pipefail &&` (in a shell that supports it).""",
      bad="RUN curl -fsSL https://example.com/a.tgz | tar -xz",
      good='SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl -fsSL https://example.com/a.tgz | tar -xz')
def pipefail(ctx: LintContext):
    for stage in ctx.stages:
        safe = False
        for ins in stage.instructions:
            if ins.keyword == "SHELL" and ins.json:
                # pipefail set, or a non-POSIX shell (PowerShell, cmd) where the advice does not apply
                safe = _pipefail_shell(ins.values) or (bool(ins.values) and ins.values[0].lower().rsplit(
                    "\\", 1)[-1].rsplit("/", 1)[-1].removesuffix(".exe") in ("powershell", "pwsh", "cmd"))
                continue
            if ins.keyword != "RUN" or ins.json or safe or ins.error:
                continue
            info = ctx.run(ins)
            script = info.logical_script
            if script is None or not any(t.kind == "op" and t.value == "|" for t in script.tokens):
                continue
            if any(c.name == "set" and ("pipefail" in c.args or any("o" in a and "pipefail" in c.args for a in c.args))
                   for c in script.commands):
                continue
            yield Hit(ins, "pipe in RUN without `pipefail`: a failing command before `|` is ignored")


@rule("DO405", "Duplicate stage name", CORRECT, Severity.HIGH,
      why="Two stages with the same name make `--from=name` and `--target name` ambiguous; BuildKit refuses it.",
      how="Give every stage a unique name.",
      bad="FROM debian:bookworm-slim AS build\nFROM debian:bookworm-slim AS build",
      good="FROM debian:bookworm-slim AS build\nFROM debian:bookworm-slim AS test")
def duplicate_stage(ctx: LintContext):
    seen: dict[str, int] = {}
    for stage in ctx.stages:
        if stage.name is None:
            continue
        if stage.name in seen:
            yield Hit(stage.from_instruction, f"stage name {stage.name!r} already used at line {seen[stage.name]}")
        else:
            seen[stage.name] = stage.from_instruction.line


@rule("DO406", "COPY --from an unknown stage", CORRECT, Severity.MEDIUM,
      why="""`--from` names an earlier stage, a stage index, an image or a named build context. A name
close to a stage's name (`biuld` for `build`), a stage defined later, or an index that is not an
earlier stage is a mistake: BuildKit then tries to pull an image of that name.""",
      how="Refer to a stage defined above, by its `AS` name.",
      bad="FROM golang:1.22 AS build\nFROM debian:bookworm-slim\nCOPY --from=biuld /out/app /app",
      good="FROM golang:1.22 AS build\nFROM debian:bookworm-slim\nCOPY --from=build /out/app /app")
def copy_from_unknown(ctx: LintContext):
    first_at: dict[str, int] = {}
    last_at: dict[str, int] = {}
    for s in ctx.stages:
        if s.name:
            first_at.setdefault(s.name, s.index)
            last_at[s.name] = s.index
    suggestions = _StageNameSuggestions(sorted(first_at))
    for stage in ctx.stages:
        for ins in stage.instructions:
            eff = ins.effective
            flag = eff.flag("from") if eff.keyword in ("COPY", "ADD") else None
            if flag is None or not flag.value:
                continue
            ref = expand(flag.value, ctx.stage_env(stage, ins), skip_unset=True)
            name = ref.lower()
            if "$" in ref or first_at.get(name, stage.index) < stage.index:
                continue
            if name.isdigit():
                if int(name) >= stage.index:
                    yield Hit(ins, f"--from={ref} refers to stage {name}, which is not defined before this one")
                continue
            if last_at.get(name, -1) >= stage.index:
                yield Hit(ins, f"--from={ref} refers to a stage defined later")
                continue
            if any(c in ref for c in ":/@."):
                continue  # an image reference
            # A bare name is an image (`--from=composer`) or a named build context, unless it looks
            # like a misspelt stage name.
            close = suggestions.closest(name)
            if close:
                yield Hit(ins, f"--from={ref} is not a stage; did you mean {close!r}?")


# A misspelt-name guess compares the name with every stage name; past this many stage names
# (generated files) that would make the rule quadratic, so only the definite mistakes are reported.
_MAX_SUGGESTION_NAMES = 256


class _StageNameSuggestions:
    """`difflib.get_close_matches(name, names, n=1, cutoff=0.7)`, answered once per name and
    only against names whose length allows a ratio of 0.7 (2·min/(a+b) >= 0.7)."""

    def __init__(self, names: list[str]) -> None:
        self._by_length: dict[int, list[str]] = {}
        for n in names:
            self._by_length.setdefault(len(n), []).append(n)
        self._answers: dict[str, str | None] = {}
        self._enabled = len(names) <= _MAX_SUGGESTION_NAMES

    def closest(self, name: str) -> str | None:
        if not self._enabled:
            return None
        if name not in self._answers:
            size = len(name)
            candidates = sorted(n for length, group in self._by_length.items()
                                if 2 * min(size, length) >= 0.7 * (size + length) for n in group)
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.7)
            self._answers[name] = close[0] if close else None
        return self._answers[name]


@rule("DO407", "MAINTAINER is deprecated", CORRECT, Severity.LOW, fixable=True,
      why="MAINTAINER has been deprecated since Docker 1.13; its value is not visible as a label.",
      how='Use `LABEL maintainer="…"` (or `org.opencontainers.image.authors`).',
      bad="MAINTAINER Jane <jane@example.com>", good='LABEL maintainer="Jane <jane@example.com>"')
def maintainer(ctx: LintContext):
    for ins in ctx.df.instructions:
        if ins.keyword == "MAINTAINER" and ins.sub is None:
            value = ins.args_text
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
            keyword = "label" if ins.raw_keyword.islower() else "LABEL"
            start = ins.span.start
            end = ins.to_source_end(len(ins.logical.rstrip()))
            fix = Fix("MAINTAINER -> LABEL maintainer", (TextEdit(start, end, f'{keyword} maintainer="{escaped}"'),))
            yield Hit(ins, "MAINTAINER is deprecated; use LABEL maintainer=…", fix=fix)


@rule("DO408", "Several CMD, ENTRYPOINT or HEALTHCHECK in one stage", CORRECT, Severity.MEDIUM,
      why="Only the last CMD (ENTRYPOINT, HEALTHCHECK) of a stage takes effect; earlier ones are dead code.",
      how="Keep one, at the end of the stage.",
      bad='CMD ["nginx"]\nCMD ["nginx", "-g", "daemon off;"]', good='CMD ["nginx", "-g", "daemon off;"]')
def multiple_cmd(ctx: LintContext):
    for stage in ctx.stages:
        for keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            found = [i for i in stage.instructions if i.keyword == keyword]
            for ins in found[:-1]:
                yield Hit(ins, f"{keyword} overridden by the {keyword} at line {found[-1].line}")


def _valid_port(text: str) -> bool:
    port, _, proto = text.partition("/")
    if proto and proto.lower() not in ("tcp", "udp", "sctp"):
        return False
    low, dash, high = port.partition("-")
    parts = [low, high] if dash else [low]
    if not all(p.isdigit() and 1 <= int(p) <= 65535 for p in parts):
        return False
    return not dash or int(low) <= int(high)


@rule("DO409", "EXPOSE of an invalid port", CORRECT, Severity.MEDIUM,
      why="Ports must be 1-65535 with an optional /tcp, /udp or /sctp; anything else fails or is ignored.",
      how="Expose the container port the application listens on (not a host:container mapping).",
      bad="EXPOSE 80:8080", good="EXPOSE 8080")
def invalid_expose(ctx: LintContext):
    for stage in ctx.stages:
        for ins in stage.instructions:
            eff = ins.effective
            if eff.keyword != "EXPOSE":
                continue
            env = ctx.stage_env(stage, ins)
            for value in eff.values:
                port = expand(value, env, skip_unset=True)
                if "$" in port:
                    continue
                if not _valid_port(port):
                    yield Hit(ins, f"EXPOSE {value}: not a valid port")
