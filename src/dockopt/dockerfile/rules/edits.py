"""Text edits that fixes share: inserting an option, appending a command, merging RUNs.

Edits are computed on the original source text so they keep everything else as written:
comments, indentation, line endings and the continuation style of the instruction.
"""

from __future__ import annotations

from dockopt.dockerfile.model import Dockerfile, Instruction
from dockopt.dockerfile.rules.base import LintContext, RunInfo
from dockopt.dockerfile.shell import Command
from dockopt.findings import Fix, TextEdit


def in_logical_script(info: RunInfo, cmd: Command) -> bool:
    """The command is in the RUN's own command line (not a heredoc), so it can be edited."""
    return info.in_command_line(cmd) and not info.instruction.heredocs and not info.instruction.trigger


def insert_after_word(info: RunInfo, cmd: Command, word_value: str, text: str, description: str) -> Fix | None:
    """Insert ` text` after the first argument equal to `word_value` (e.g. after `install`)."""
    if not in_logical_script(info, cmd):
        return None
    for tok in cmd.argv[1:]:
        if tok.value == word_value:
            at = info.source_end(tok.end)
            return Fix(description, (TextEdit(at, at, " " + text),))
    return None


def append_command(ctx: LintContext, info: RunInfo, command: str, description: str) -> Fix | None:
    """Append `&& command` at the end of a shell-form RUN, in the instruction's own style."""
    ins = info.instruction
    script = info.logical_script
    if script is None or ins.heredocs or ins.trigger or not script.tokens:
        return None
    last = script.tokens[-1]
    joiner = "&&"
    if last.kind == "op":
        if last.value not in (";", "&", "\n"):
            return None  # ends with `&&`, `|`, `(`…: not a complete command line to extend
        joiner = ""  # `…; ` already separates: just add the command
    end = info.source_end(len(ins.args_text))
    lead = f"{joiner} " if joiner else ""
    if len(ins.physical_lines) == 1:
        return Fix(description, (TextEdit(end, end, f" {lead}{command}"),))
    indent = ctx.line_indent(ins)
    nl, esc = ctx.df.newline, ctx.df.escape
    leading = any(ctx.df.line_text(n).lstrip().startswith("&&") for n in ins.physical_lines[1:])
    if leading or not joiner:
        return Fix(description, (TextEdit(end, end, f" {esc}{nl}{indent}{lead}{command}"),))
    return Fix(description, (TextEdit(end, end, f" && {esc}{nl}{indent}{command}"),))


def mergeable(first: Instruction, second: Instruction) -> bool:
    """Two RUNs whose command lines can be joined with `&&` without changing what they run."""
    for ins in (first, second):
        if ins.keyword != "RUN" or ins.json or ins.heredocs or ins.trigger or ins.error \
                or not ins.args_text:
            return False
    return [f.raw for f in first.flags] == [f.raw for f in second.flags]


def merge_runs(ctx: LintContext, first: Instruction, second: Instruction, description: str) -> Fix | None:
    """Join `second`'s command line onto `first` (`first && \\ second`), deleting the `RUN`
    between them. Only for neighbours with no comment in between (it would be swallowed)."""
    if not mergeable(first, second):
        return None
    df = ctx.df
    between = range(first.end_line + 1, second.line)
    if any(df.line_text(n).strip() for n in between):
        return None
    start = first.to_source_end(len(first.logical))
    end = second.to_source(second.args_start)
    indent = ctx.line_indent(first) if len(first.physical_lines) > 1 else "    "
    first_script = ctx.run(first).logical_script
    joiner = " && "
    if first_script is not None and first_script.tokens and first_script.tokens[-1].kind == "op" \
            and first_script.tokens[-1].value in (";", "&&", "&"):
        joiner = " "  # the first RUN already ends with an operator
    if _needs_group(ctx.run(first), allow_semicolon=True) or _needs_group(ctx.run(second)):
        return None  # `a || b` && c would change meaning; leave it to a human
    leading = any(df.line_text(n).lstrip().startswith("&&") for n in first.physical_lines[1:])
    if leading and joiner.strip():
        replacement = f" {df.escape}{df.newline}{indent}&& "
    else:
        replacement = f"{joiner.rstrip()} {df.escape}{df.newline}{indent}"
    return Fix(description, (TextEdit(start, end, replacement),))


def _needs_group(info: RunInfo, allow_semicolon: bool = False) -> bool:
    """`a || b` && c, or x && `a; b`, would change which failures stop the build."""
    script = info.logical_script
    bad = {"||", "&", "\n", "|&", "(", ")"} | (set() if allow_semicolon else {";"})
    return script is None or any(t.kind == "op" and t.value in bad for t in script.tokens)


def delete_instruction(df: Dockerfile, ins: Instruction) -> TextEdit:
    """Remove the instruction's whole lines."""
    start, end = df.line_range(ins.line, ins.end_line)
    return TextEdit(start, end, "")


def replace_logical(ins: Instruction, start: int, end: int, text: str) -> TextEdit:
    """Replace a range given in logical offsets of `ins`."""
    return TextEdit(ins.to_source(start), ins.to_source_end(end), text)
