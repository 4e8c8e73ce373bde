"""A lossless, tolerant Dockerfile parser that agrees with BuildKit's.

`parse(text, path)` never raises for bad input: syntax errors BuildKit would reject become
`ParseIssue`s with a line number (and the instruction's `error`), and parsing goes on with the
next instruction, so the rest of the file can still be linted.

The line handling follows BuildKit's `parser.Parse`: parser directives at the top, a BOM on
the first line, `\\r` dropped before `\\n`, continuation by the escape token at the end of a
line, comment and blank lines skipped inside a continuation, heredoc bodies read after the
instruction's last line, one heredoc after another.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from dockopt.dockerfile.lexer import (
    GO_SPACE,
    SEP,
    NotStringArray,
    extract_flags,
    go_lstrip,
    go_strip_bounds,
    parse_json_array,
    parse_words,
    shell_words,
    shell_words_strict,
    split_whitespace,
)
from dockopt.dockerfile.limits import LINE_TOO_LONG, line_too_long
from dockopt.dockerfile.model import (
    Comment,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    ParseIssue,
    Span,
    Stage,
)

KNOWN = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
HEREDOC_INSTRUCTIONS = frozenset({"ADD", "COPY", "RUN"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})
# BuildKit's reHeredoc (frontend 1.16+); `\s` is Go's: no Unicode spaces.
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$")


@dataclass
class _Line:
    start: int
    """Source offset of the line's first character."""
    content: str
    """The line without its `\\n` (a `\\r` before it is kept, as BuildKit's scanner keeps it)."""


def _split_lines(text: str) -> tuple[list[_Line], list[int], list[int]]:
    """The lines, their start offsets, and the 1-based numbers of lines over BuildKit's size
    limit (their content is left out: BuildKit refuses the file, and the rest is still linted)."""
    lines: list[_Line] = []
    starts: list[int] = []
    too_long: list[int] = []
    pos, n = 0, len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        # BuildKit's scanner keeps a trailing \r: instruction lines trim it, heredoc bodies keep it.
        content = text[pos:end]
        if line_too_long(content):
            too_long.append(len(lines) + 1)
            content = ""
        lines.append(_Line(pos, content))
        starts.append(pos)
        pos = n if nl < 0 else nl + 1
    if not starts:
        starts.append(0)
    return lines, starts, too_long


def _is_comment(content: str) -> bool:
    return go_lstrip(content.rstrip("\r\n")).startswith("#")


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text, self.path = text, path
        self.lines, self.line_starts, too_long = _split_lines(text)
        self.escape = "\\"
        self.directives: dict[str, str] = {}
        self.directives_done = False
        self.issues: list[ParseIssue] = [ParseIssue(line, LINE_TOO_LONG) for line in too_long]
        self.comments: list[Comment] = []
        self.instructions: list[Instruction] = []


    # -------------------------------------------------------------- positions
    def _span(self, start: int, end: int) -> Span:
        line, col = self._position(start)
        end_line, end_col = self._position(end)
        return Span(start, end, line, col, end_line, end_col)

    def _position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.line_starts, offset) - 1
        i = max(i, 0)
        return i + 1, offset - self.line_starts[i] + 1

    # -------------------------------------------------------------- directives
    def _directive(self, token: str, line_no: int) -> None:
        if self.directives_done:
            return
        m = _DIRECTIVE.match(token)
        if not m or m.group(1).lower() not in _VALID_DIRECTIVES:
            self.directives_done = True
            return
        key, value = m.group(1).lower(), m.group(2)
        if key in self.directives:
            self.issues.append(ParseIssue(line_no, f"only one {key} parser directive can be used"))
            return
        self.directives[key] = value
        if key == "escape":
            if value not in ("\\", "`"):
                self.issues.append(ParseIssue(
                    line_no, f"invalid escape token '{value}' does not match ` or \\"))
                return
            self.escape = value

    # -------------------------------------------------------------- main loop
    def run(self) -> Dockerfile:
        lines = self.lines
        i, n = 0, len(lines)
        pending_comments: list[str] = []
        while i < n:
            line = lines[i]
            content, lead = line.content, 0
            if i == 0 and content.startswith("\ufeff"):
                content, lead = content[1:], 1
            is_comment = _is_comment(content)
            token = content.rstrip("\r\n")
            stripped = go_lstrip(token)
            lead += len(token) - len(stripped)
            self._directive(stripped, i + 1)
            if is_comment:
                text = stripped[1:].strip()
                self.comments.append(Comment(text, self._span(line.start + lead, line.start + lead + len(stripped))))
                if text:
                    pending_comments.append(text)
                else:
                    pending_comments = []
                stripped = ""
            first_line = i
            i += 1
            logical, eol = self._trim_continuation(stripped)
            if eol and logical == "":
                if not is_comment:
                    pending_comments = []
                continue
            fragments: list[tuple[int, int]] = [(0, line.start + lead)]
            pieces, length = [logical], len(logical)  # joined once: `+=` per line is quadratic
            physical = [first_line + 1]
            empty_continuation = False
            last_content_line = first_line
            while not eol and i < n:
                raw = lines[i].content
                i += 1
                if _is_comment(raw):
                    continue
                token = raw.rstrip("\r\n")
                if not go_lstrip(token):
                    empty_continuation = True
                    continue
                piece, eol = self._trim_continuation(token)
                fragments.append((length, lines[i - 1].start))
                pieces.append(piece)
                length += len(piece)
                physical.append(i)
                last_content_line = i - 1
            logical = "".join(pieces)
            end_line_index = i - 1  # BuildKit's end line includes trailing skipped lines
            ins = self._instruction(logical, fragments, pending_comments)
            ins.physical_lines = physical
            pending_comments = []
            if empty_continuation:
                self.issues.append(ParseIssue(first_line + 1, "empty continuation line (a future "
                                              "BuildKit will treat it as an error)", severity="warning"))
            last_src = lines[last_content_line]
            end_offset = last_src.start + len(last_src.content.rstrip("\r\n"))
            target = ins.effective
            if ins.error is None and target.keyword in HEREDOC_INSTRUCTIONS and not target.json:
                i, end_offset = self._read_heredocs(ins, target, logical, i, end_offset)
            end_line_index = max(end_line_index, i - 1)
            start = fragments[0][1]
            ins.span = self._span(start, max(end_offset, start))
            if ins.sub is not None:
                ins.sub.span = ins.span
            self._set_span_lines(ins, first_line + 1, end_line_index + 1)
            self.instructions.append(ins)
        return self._finish()

    def _set_span_lines(self, ins: Instruction, line: int, end_line: int) -> None:
        s = ins.span
        if s.end_line != end_line or s.line != line:
            ins.span = Span(s.start, s.end, line, s.column, end_line, s.end_column)
            if ins.sub is not None:
                ins.sub.span = ins.span

    def _trim_continuation(self, line: str) -> tuple[str, bool]:
        """BuildKit's trimContinuationCharacter: the escape token at the end (spaces and tabs after
        it allowed) continues the line, unless it is itself escaped (`\\\\`)."""
        end = len(line.rstrip(" \t"))
        esc = self.escape
        if end and line[end - 1] == esc and (end == 1 or line[end - 2] != esc):
            return line[:end - 1], False
        return line, True

    # -------------------------------------------------------------- instructions
    def _instruction(self, logical: str, fragments: list[tuple[int, int]], comments: list[str]) -> Instruction:
        placeholder = Span(fragments[0][1], fragments[0][1], 0, 0, 0, 0)
        ins = self._node(logical, 0, len(logical), placeholder, fragments)
        ins.comments = list(comments)
        return ins

    def _node(self, logical: str, start: int, end: int, span: Span,
              fragments: list[tuple[int, int]], nested: bool = False) -> Instruction:
        s, e = go_strip_bounds(logical, start, end)
        k = s
        while k < e and logical[k] not in SEP:
            k += 1
        raw_keyword = logical[s:k]
        keyword = raw_keyword.upper()
        known = keyword in KNOWN
        ins = Instruction(keyword=keyword if known else raw_keyword, raw_keyword=raw_keyword,
                          known=known, span=span, logical=logical, _map=fragments)
        rest_start = k
        while rest_start < e and logical[rest_start] in SEP:
            rest_start += 1
        rest = logical[rest_start:e] if k < e else ""
        consumed, raw_flags = extract_flags(rest)
        for rf in raw_flags:
            name, _, value = rf.value[2:].partition("=")
            has_value = "=" in rf.value
            ins.flags.append(Flag(name.lower(), value if has_value else None, rf.value,
                                  rest_start + rf.start, rest_start + rf.end))
        a_start, a_end = go_strip_bounds(logical, rest_start + consumed, e)
        ins.args_start, ins.args_text = a_start, logical[a_start:a_end]
        try:
            self._dispatch(ins, nested)
        except (ValueError, NotStringArray) as exc:
            ins.error = str(exc)
        return ins

    def _dispatch(self, ins: Instruction, nested: bool) -> None:
        kw, rest = ins.keyword, ins.args_text
        if not ins.known:
            return
        if kw in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
            if not rest:
                return
            arr = parse_json_array(rest)
            if arr is not None:
                ins.json, ins.values = True, arr
            else:
                ins.values = [rest]
        elif kw in ("ADD", "COPY", "VOLUME"):
            arr = parse_json_array(rest)
            if arr is not None:
                ins.json, ins.values = True, arr
            else:
                ins.values = split_whitespace(rest)
        elif kw in ("ENV", "LABEL"):
            ins.values = self._name_values(rest, kw)
        elif kw == "ARG":
            ins.values = parse_words(rest, self.escape)
        elif kw in ("EXPOSE", "FROM"):
            ins.values = split_whitespace(rest)
        elif kw == "HEALTHCHECK":
            self._healthcheck(ins, rest)
        elif kw == "ONBUILD":
            if nested:  # no deeper recursion: BuildKit rejects the chain anyway
                raise ValueError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
            if rest:
                sub = self._node(ins.logical, ins.args_start, len(ins.logical), ins.span, ins._map, nested=True)
                sub.trigger = True
                ins.sub = sub
                ins.values = list(sub.values)
                if sub.error:
                    raise ValueError(sub.error)
                if sub.keyword in ("FROM", "MAINTAINER"):
                    raise ValueError(f"{sub.keyword} isn't allowed as an ONBUILD trigger")
        else:  # MAINTAINER, STOPSIGNAL, USER, WORKDIR
            ins.values = [rest] if rest else []

    def _name_values(self, rest: str, kw: str) -> list[str]:
        words = parse_words(rest, self.escape)
        if not words:
            return []
        if "=" not in words[0]:
            parts = re.split(r"[\t\v\f\r ]+", rest, maxsplit=1)
            if len(parts) < 2:
                raise ValueError(f"{kw} must have two arguments")
            return [parts[0], parts[1]]
        out: list[str] = []
        for word in words:
            if "=" not in word:
                raise ValueError(f"Syntax error - can't find = in {word!r}. Must be of the form: name=value")
            name, _, value = word.partition("=")
            out.extend([name, value])
        return out

    def _healthcheck(self, ins: Instruction, rest: str) -> None:
        sep = 0
        while sep < len(rest) and rest[sep] not in GO_SPACE:
            sep += 1
        if sep == 0:
            return
        nxt = sep
        while nxt < len(rest) and rest[nxt] in GO_SPACE:
            nxt += 1
        typ, cmd = rest[:sep], rest[nxt:]
        ins.values = [typ]
        if cmd:
            arr = parse_json_array(cmd)
            if arr is not None:
                ins.json = True
                ins.values += arr
            else:
                ins.values.append(cmd)

    # -------------------------------------------------------------- heredocs
    def _read_heredocs(self, ins: Instruction, target: Instruction, logical: str, i: int,
                       end_offset: int) -> tuple[int, int]:
        specs = _heredoc_specs(logical)
        lines = self.lines
        for name, chomp, expand_body, fd in specs:
            body_start = lines[i].start if i < len(lines) else len(self.text)
            content: list[str] = []
            terminator_line = None
            body_end = body_start
            while i < len(lines):
                raw = lines[i].content
                i += 1
                candidate = raw.rstrip("\r\n")
                if chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == name:
                    terminator_line = i
                    end_offset = lines[i - 1].start + len(raw)
                    break
                content.append(raw + "\n")
                body_end = lines[i - 1].start + len(raw)
                end_offset = body_end
            body_span = self._span(body_start, body_end) if content else None
            target.heredocs.append(Heredoc(name, "".join(content), chomp, expand_body, fd,
                                           body_span, terminator_line))
            if terminator_line is None:
                ins.error = ins.error or f"unterminated heredoc <<{name}"
                break
        return i, end_offset

    # -------------------------------------------------------------- stages
    def _finish(self) -> Dockerfile:
        stages: list[Stage] = []
        global_args: list[Instruction] = []
        for ins in self.instructions:
            if ins.error:
                self.issues.append(ParseIssue(ins.line, ins.error, ins.span.column, ins.end_line))
            elif not ins.known:
                self.issues.append(ParseIssue(ins.line, f"unknown instruction: {ins.raw_keyword}",
                                              ins.span.column, ins.end_line))
            if ins.keyword == "FROM" and ins.known:
                values = ins.values
                name = values[2].lower() if len(values) == 3 and values[1].lower() == "as" else None
                platform = ins.flag("platform")
                stage = Stage(len(stages), name, values[0] if values else "", ins,
                              platform=platform.value if platform else None)
                stages.append(stage)
                ins.stage_index = stage.index
                continue
            if not stages:
                if ins.keyword == "ARG":
                    global_args.append(ins)
                elif ins.known:
                    self.issues.append(ParseIssue(ins.line, f"{ins.keyword} before the first FROM "
                                                  "(only ARG may come before FROM)", ins.span.column))
                continue
            ins.stage_index = stages[-1].index
            if ins.sub is not None:
                ins.sub.stage_index = ins.stage_index
            stages[-1].instructions.append(ins)
        if not self.instructions:
            self.issues.append(ParseIssue(1, "file with no instructions"))
        elif not stages:
            self.issues.append(ParseIssue(self.instructions[-1].line, "no FROM instruction: nothing to build"))
        self.issues.sort(key=lambda issue: issue.line)
        return Dockerfile(
            path=self.path, text=self.text, instructions=self.instructions, comments=self.comments,
            stages=stages, global_args=global_args, directives=self.directives, escape=self.escape,
            issues=self.issues, line_starts=self.line_starts, newline=_dominant_newline(self.text),
        )


def _heredoc_specs(logical: str) -> list[tuple[str, bool, bool, int]]:
    """BuildKit's heredocsFromLine + ParseHeredoc: (name, chomp, expand, fd) in order."""
    out: list[tuple[str, bool, bool, int]] = []
    if "<<" not in logical:
        return out
    # BuildKit ignores the lexer's error here and then finds no word at all: no heredocs.
    for word in shell_words_strict(logical, raw_quotes=True, raw_escapes=True, skip_unset=True) or ():
        m = _HEREDOC_WORD.match(word.value)
        if not m or not m.group(3):
            continue
        # Go's text/scanner (under BuildKit's lexer) skips a byte-order mark that starts its input.
        rest = m.group(3).removeprefix("\ufeff")
        plain = shell_words(rest, skip_unset=True)
        if len(plain) != 1:
            continue
        raw = shell_words(rest, raw_quotes=True, skip_unset=True)
        name = plain[0].value
        if not name:
            continue  # `<<""` or `<<''`: BuildKit's lexer yields no word, so no heredoc
        quotes_plain = name.count("'") + name.count('"')
        quotes_raw = raw[0].value.count("'") + raw[0].value.count('"') if raw else 0
        out.append((name, m.group(2) == "-", quotes_plain == quotes_raw, int(m.group(1) or 0)))
    return out


def _dominant_newline(text: str) -> str:
    if "\r" not in text:
        return "\n"
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def parse(text: str, path: str = "Dockerfile") -> Dockerfile:
    """Parse Dockerfile text. Never raises on bad syntax: see `Dockerfile.issues`."""
    return _Parser(text, path).run()


def parse_file(path: str) -> Dockerfile:
    """Read and parse a file (UTF-8; undecodable bytes are replaced rather than refused)."""
    from dockopt.dockerfile.reading import read_dockerfile

    return parse(read_dockerfile(path), path)
