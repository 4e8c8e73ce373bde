"""The Dockerfile model produced by `dockopt.dockerfile.parser.parse`.

Everything carries exact positions in the original text so rules can report lines and columns
and fixes can replace text by offset. The original text is kept whole (`Dockerfile.text`), so the
model is lossless: comments, blank lines, indentation and line endings are never re-rendered.

Two coordinate systems appear:
- *source offsets*: 0-based character offsets into `Dockerfile.text`;
- *logical offsets*: 0-based offsets into `Instruction.logical`, the instruction's lines joined
  the way BuildKit joins them (continuations removed, comment and blank lines inside the
  continuation dropped). `Instruction.to_source()` maps a logical offset to a source offset.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from dockopt.dockerfile.lexer import expand


@dataclass(slots=True)
class Span:
    """A range of the source text. Lines and columns are 1-based; `end_col` is exclusive."""

    start: int
    """0-based source offset of the first character."""
    end: int
    """0-based source offset just past the last character."""
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(slots=True)
class Word:
    """One word of an instruction's arguments, with its raw text and logical offsets."""

    raw: str
    """The text as written (quotes and escapes kept)."""
    start: int
    """Logical offset (see module docstring) of the first character."""
    end: int


@dataclass(slots=True)
class Flag:
    """`--name=value` (or a bare `--name`) before an instruction's arguments."""

    name: str
    """Lower-case name without dashes, e.g. `mount`, `from`, `chown`."""
    value: str | None
    """The value after `=` with BuildKit's quote handling applied; None for a bare flag."""
    raw: str
    start: int
    """Logical offsets of the flag word."""
    end: int


@dataclass(frozen=True)
class Heredoc:
    """One here-document attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`)."""

    name: str
    """The delimiter word with quotes removed."""
    content: str
    """The body exactly as BuildKit reports it: each line followed by `\\n`, tabs kept."""
    chomp: bool
    """`<<-`: leading tabs are stripped from the body (and the terminator) when used."""
    expand: bool
    """False when the delimiter was quoted: the body is used without variable expansion."""
    fd: int
    """The file descriptor before `<<` (0 when none was written)."""
    body_span: Span | None
    """The body lines in the source (None for an empty body)."""
    terminator_line: int | None
    """1-based line of the terminator (None when unterminated)."""

    @property
    def text(self) -> str:
        """The body as the build uses it (leading tabs stripped for `<<-`)."""
        if not self.chomp:
            return self.content
        return "".join(line.lstrip("\t") for line in self.content.splitlines(keepends=True))


@dataclass
class Instruction:
    keyword: str
    """Upper-case instruction name (`RUN`), or the word as written for an unknown instruction."""
    raw_keyword: str
    """The keyword as written (`run`, `Run`, …)."""
    known: bool
    span: Span
    """From the keyword to the end of the last line (including heredoc terminators)."""
    logical: str
    """The instruction's text joined as BuildKit joins it (continuations removed)."""
    flags: list[Flag] = field(default_factory=list)
    args_start: int = 0
    """Logical offset where the arguments (after flags) start."""
    args_text: str = ""
    """The arguments after the keyword and flags, trimmed, as BuildKit stores them."""
    json: bool = False
    """Exec (JSON array) form."""
    values: list[str] = field(default_factory=list)
    """The argument list as BuildKit's parser gives it (JSON elements, words, or one string)."""
    heredocs: list[Heredoc] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    """Comment lines directly above the instruction (text after `#`, stripped)."""
    sub: Instruction | None = None
    """For `ONBUILD`: the trigger instruction (its offsets are relative to this instruction)."""
    trigger: bool = False
    """True for the instruction inside an ONBUILD (it runs in images built FROM this one)."""
    stage_index: int = -1
    """0-based stage index; -1 for global `ARG`s before the first `FROM`."""
    error: str | None = None
    """A parse error local to this instruction (the rest of the file is still parsed)."""
    physical_lines: list[int] = field(default_factory=list)
    """1-based line numbers holding instruction text (continuation lines, not comments/heredocs)."""
    _map: list[tuple[int, int]] = field(default_factory=list, repr=False)
    """(logical offset, source offset) at the start of each fragment, ascending."""

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def end_line(self) -> int:
        return self.span.end_line

    def to_source(self, logical_offset: int) -> int:
        """The source offset of a logical offset (an offset at a fragment end maps to its end)."""
        if not self._map:
            return self.span.start + logical_offset
        i = bisect.bisect_right(self._map, logical_offset, key=_fragment_start) - 1
        if i < 0:
            i = 0
        k, s = self._map[i]
        return s + (logical_offset - k)

    def to_source_end(self, logical_end: int) -> int:
        """The source offset for an exclusive end: at a fragment boundary, the end of the earlier
        fragment (so a replaced range never swallows a line continuation)."""
        i = bisect.bisect_left(self._map, logical_end, key=_fragment_start) - 1
        if i < 0 or not self._map:
            return self.to_source(logical_end)
        k, s = self._map[i]
        return s + (logical_end - k)

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flag_values(self, name: str) -> list[str]:
        return [f.value or "" for f in self.flags if f.name == name]

    @property
    def effective(self) -> Instruction:
        """The instruction that runs: the ONBUILD trigger, or this instruction itself."""
        return self.sub if self.sub is not None else self

    def words(self) -> list[Word]:
        """Whitespace-separated words of the arguments, with logical offsets (no quote handling)."""
        out: list[Word] = []
        text, i, n = self.logical, self.args_start, len(self.logical)
        while i < n:
            while i < n and text[i] in " \t\v\f\r":
                i += 1
            if i >= n:
                break
            j = i
            while j < n and text[j] not in " \t\v\f\r":
                j += 1
            out.append(Word(text[i:j], i, j))
            i = j
        return out

    def copy_sources(self) -> list[str]:
        """COPY/ADD sources as written (heredoc sources excluded); empty for other instructions."""
        ins = self.effective
        if ins.keyword not in ("COPY", "ADD") or len(ins.values) < 2:
            return []
        sources = ins.values[:-1] if not ins.heredocs else [s for s in ins.values[:-1] if not _is_heredoc_word(s)]
        return sources if ins.json else [_unquoted(s) for s in sources]

    def copy_destination(self) -> str | None:
        ins = self.effective
        if ins.keyword not in ("COPY", "ADD") or len(ins.values) < 2:
            return None
        return ins.values[-1] if ins.json else _unquoted(ins.values[-1])


def _unquoted(word: str) -> str:
    """A shell-form COPY/ADD word as BuildKit reads it: quotes removed, `$VAR` kept as written."""
    return expand(word, {}, skip_unset=True) if any(c in word for c in "'\"\\") else word


def _fragment_start(fragment: tuple[int, int]) -> int:
    return fragment[0]


def _is_heredoc_word(word: str) -> bool:
    """`<<EOF`, `<<-EOF`, `3<<EOF`: a heredoc source of COPY/ADD, not a path in the context."""
    return word.lstrip("0123456789").startswith("<<")


@dataclass
class Comment:
    text: str
    """Text after `#`, stripped."""
    span: Span


@dataclass
class Stage:
    index: int
    name: str | None
    """The `AS name` (lower-cased, as BuildKit compares it), or None."""
    base: str
    """The image (or stage) named in FROM, unexpanded."""
    from_instruction: Instruction
    instructions: list[Instruction] = field(default_factory=list)
    """Every instruction of the stage after its FROM."""
    platform: str | None = None


@dataclass
class ParseIssue:
    line: int
    message: str
    column: int = 1
    end_line: int | None = None
    severity: str = "error"
    """`error` (BuildKit would refuse the file) or `warning` (accepted, but suspicious)."""


@dataclass
class Dockerfile:
    path: str
    text: str
    instructions: list[Instruction]
    comments: list[Comment]
    stages: list[Stage]
    global_args: list[Instruction]
    """`ARG`s before the first `FROM`."""
    directives: dict[str, str]
    escape: str
    issues: list[ParseIssue]
    line_starts: list[int]
    """Source offset where each line starts (index 0 is line 1)."""
    newline: str
    """The file's dominant line ending (`\\n` or `\\r\\n`)."""

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def stage_by_name(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.name is not None and stage.name == name.lower():
                return stage
        return None

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line ending."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\n").removesuffix("\r")

    def line_range(self, first: int, last: int) -> tuple[int, int]:
        """Source offsets covering whole lines `first..last`, including the final line ending."""
        start = self.line_starts[first - 1]
        end = self.line_starts[last] if last < len(self.line_starts) else len(self.text)
        return start, end

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a source offset."""
        i = bisect.bisect_right(self.line_starts, offset) - 1
        return i + 1, offset - self.line_starts[i] + 1
