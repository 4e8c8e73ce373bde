"""A small model of the shell commands in a RUN: commands split on `&&`, `||`, `;`, `|`, `&`
and newlines, each with its words (quotes removed, raw text and offsets kept).

It is not a shell parser; it is what lint rules need: "which programs run, with which
arguments, joined by which operators", robust to anything (it never raises).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "\n", "(", ")")
_REDIRECT_START = "<>"
_SIMPLE_WORD = re.compile(r"[A-Za-z0-9_./:=,+@%^~\-]+(?=[ \t\r\n;|&()<>]|$)")
_FAST = re.compile(r"([ \t\r]+)|(&&|\|\||;;|\|&|[;|\n()]|&(?!>))|"
                   r"([A-Za-z_./:=,+@%^~\-][A-Za-z0-9_./:=,+@%^~\-]*(?=[ \t\r\n;|&()<>]|$))")
_OP_CHARS = frozenset("&|;\n()")
_TWO_CHAR_OPS = frozenset({"&&", "||", ";;", "|&"})
# Words that introduce the real command (`sudo apt-get …`); their own options are skipped.
WRAPPERS = frozenset({"sudo", "env", "nohup", "time", "exec", "command", "nice", "doas", "stdbuf"})
_KEYWORDS_BEFORE = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})
_KEYWORDS_SKIP = frozenset({"fi", "done", "esac", "}"})


class Token(NamedTuple):
    kind: str
    """`word`, `op` (an operator) or `redirect` (with its target, e.g. `>/dev/null`, `<<EOF`)."""
    value: str
    """For words: the text with quotes and escapes removed."""
    raw: str
    start: int
    end: int


@dataclass
class Command:
    words: list[Token] = field(default_factory=list)
    """Every word of the simple command, including leading assignments and wrappers."""
    redirects: list[Token] = field(default_factory=list)
    op_before: str | None = None
    """The operator joining it to the previous command (None for the first)."""
    op_after: str | None = None

    @property
    def start(self) -> int:
        toks = self.words + self.redirects
        return min(t.start for t in toks) if toks else 0

    @property
    def end(self) -> int:
        toks = self.words + self.redirects
        return max(t.end for t in toks) if toks else 0

    _argv: list[Token] | None = field(default=None, repr=False)
    _name: str = field(default="", repr=False)
    _args: list[str] = field(default_factory=list, repr=False)

    def finish(self) -> Command:
        """Compute the program name and arguments once (rules ask for them many times)."""
        words = self.words
        i = 0
        while i < len(words):
            value = words[i].value
            if value in _KEYWORDS_BEFORE:
                i += 1
                continue
            head = value.split("=", 1)[0]
            if "=" in value and head and head.replace("_", "a").isalnum():
                i += 1
                continue
            base = value.rsplit("/", 1)[-1]
            if base in WRAPPERS:
                i += 1
                while i < len(words) and (words[i].value.startswith("-") or
                                          (base == "env" and "=" in words[i].value)):
                    i += 1
                continue
            break
        self._argv = words[i:]
        first = self._argv[0].value if self._argv else ""
        self._name = "" if not first or first in _KEYWORDS_SKIP else first.rsplit("/", 1)[-1]
        self._args = [t.value for t in self._argv[1:]]
        return self

    @property
    def argv(self) -> list[Token]:
        """Words from the program name on: assignments, wrappers and shell keywords skipped."""
        if self._argv is None:
            self.finish()
        return self._argv  # type: ignore[return-value]

    @property
    def name(self) -> str:
        if self._argv is None:
            self.finish()
        return self._name

    @property
    def args(self) -> list[str]:
        if self._argv is None:
            self.finish()
        return self._args

    def assignments(self) -> dict[str, str]:
        """`NAME=value` words before the program (`PIP_NO_CACHE_DIR=1 pip …`, `env A=b prog`)."""
        out: dict[str, str] = {}
        for tok in self.words[: len(self.words) - len(self.argv)]:
            name, eq, value = tok.value.partition("=")
            if eq and name and name.replace("_", "a").isalnum():
                out[name] = value
        return out

    def has_word(self, *values: str) -> bool:
        return any(t.value in values for t in self.argv[1:])

    def has_option(self, *options: str) -> bool:
        """An option given as a word, `--opt=value`, or inside a group of short flags (`-qy`)."""
        for arg in self.args:
            for opt in options:
                if arg == opt or (opt.startswith("--") and arg.startswith(opt + "=")):
                    return True
                if len(opt) == 2 and opt[0] == "-" and opt[1] != "-" and arg.startswith("-") \
                        and not arg.startswith("--") and opt[1] in arg[1:]:
                    return True
        return False

    def subcommand(self) -> str | None:
        """The first non-option argument (`install` in `apt-get -y install x`)."""
        for arg in self.args:
            if arg[:1] != "-":
                return arg
        return None

    @property
    def uses_sudo(self) -> bool:
        return any(t.value.rsplit("/", 1)[-1] in ("sudo", "doas") for t in self.words[: len(self.words) - len(self.argv)])


@dataclass
class Script:
    text: str
    commands: list[Command]
    tokens: list[Token]

    def find(self, *names: str) -> list[Command]:
        return [c for c in self.commands if c.name in names]

    def pipelines(self) -> list[list[Command]]:
        """Commands grouped by `|`."""
        groups: list[list[Command]] = []
        for cmd in self.commands:
            if groups and cmd.op_before in ("|", "|&"):
                groups[-1].append(cmd)
            else:
                groups.append([cmd])
        return groups


def parse_shell(text: str) -> Script:
    tokens = tokenize(text)
    commands: list[Command] = []
    current = Command()
    pending_op: str | None = None
    expect_target = False
    for tok in tokens:
        if tok.kind == "op":
            if current.words or current.redirects:
                current.op_after = tok.value
                commands.append(current)
                current = Command()
            pending_op = tok.value if tok.value not in ("(", ")") else pending_op
            expect_target = False
            continue
        if current.op_before is None and not current.words and not current.redirects and commands:
            current.op_before = pending_op
        if tok.kind == "redirect":
            current.redirects.append(tok)
            expect_target = tok.value.rstrip("0123456789&-") in ("<", ">", ">>", "<<", "<<<", "&>", ">|", "<>") \
                and tok.raw == tok.value.strip()
            continue
        if expect_target:
            current.redirects.append(tok)
            expect_target = False
            continue
        current.words.append(tok)
    if current.words or current.redirects:
        commands.append(current)
    for cmd in commands:
        cmd.finish()
    return Script(text, commands, tokens)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    fast = _FAST.match
    while i < n:
        m = fast(text, i)
        if m is not None:  # the common tokens in one regex step
            group = m.lastindex
            end = m.end()
            if group == 2:
                value = m.group(2)
                out.append(Token("op", value, value, i, end))
            elif group == 3:
                value = m.group(3)
                out.append(Token("word", value, value, i, end))
            i = end
            continue
        ch = text[i]
        if ch in " \t\r":
            i += 1
            continue
        if ch == "\\" and i + 1 < n and text[i + 1] == "\n":
            i += 2
            continue
        if ch == "#":
            nl = text.find("\n", i)
            i = n if nl < 0 else nl
            continue
        op = None
        if ch in _OP_CHARS:
            two = text[i:i + 2]
            op = two if two in _TWO_CHAR_OPS else ch
        if op is not None:
            out.append(Token("op", op, op, i, i + len(op)))
            i += len(op)
            continue
        start = i
        j = i
        while j < n and text[j].isdigit():
            j += 1
        if j < n and (text[j] in _REDIRECT_START or (text[j] == "&" and j + 1 < n and text[j + 1] == ">")):
            k = j
            while k < n and text[k] in "<>&|-":
                k += 1
            while k < n and text[k].isdigit() and text[k - 1] == "&":
                k += 1
            value = text[start:k]
            # A heredoc marker or a redirect written together with its target (`>/dev/null`).
            if k < n and text[k] not in " \t\r\n;|&()":
                end, word_value = _read_word(text, k)
                out.append(Token("redirect", value + word_value, text[start:end], start, end))
                i = end
            else:
                out.append(Token("redirect", value, value, start, k))
                i = k
            continue
        m = _SIMPLE_WORD.match(text, i)
        if m is not None:  # fast path: no quotes, escapes or expansions
            end = m.end()
            value = text[i:end]
            out.append(Token("word", value, value, i, end))
            i = end
            continue
        end, value = _read_word(text, i)
        if end == i:  # a lone character we cannot place: skip it rather than loop
            end, value = i + 1, text[i]
        out.append(Token("word", value, text[i:end], i, end))
        i = end
    return out


def _read_word(text: str, i: int) -> tuple[int, str]:
    """Read one word from `i`; returns (end offset, value with quotes removed)."""
    n = len(text)
    parts: list[str] = []
    while i < n:
        ch = text[i]
        if ch in " \t\r\n;|&()<>":
            break
        if ch == "\\":
            if i + 1 < n:
                if text[i + 1] != "\n":
                    parts.append(text[i + 1])
                i += 2
            else:
                i += 1
            continue
        if ch == "'":
            close = text.find("'", i + 1)
            close = n if close < 0 else close
            parts.append(text[i + 1:close])
            i = close + 1
            continue
        if ch == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`\n':
                    if text[j + 1] != "\n":
                        buf.append(text[j + 1])
                    j += 2
                    continue
                if text.startswith("$(", j):
                    k = _match_paren(text, j + 1)
                    buf.append(text[j:k])
                    j = k
                    continue
                buf.append(text[j])
                j += 1
            parts.append("".join(buf))
            i = j + 1
            continue
        if text.startswith("$(", i):
            k = _match_paren(text, i + 1)
            parts.append(text[i:k])
            i = k
            continue
        if ch == "`":
            close = text.find("`", i + 1)
            close = n if close < 0 else close + 1
            parts.append(text[i:close])
            i = close
            continue
        parts.append(ch)
        i += 1
    return min(i, n), "".join(parts)


def _match_paren(text: str, i: int) -> int:
    """`text[i]` is `(`: the offset after its matching `)` (or the end)."""
    depth, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif ch == "'":
            close = text.find("'", i + 1)
            i = n if close < 0 else close
        elif ch == "\\":
            i += 1
        i += 1
    return n
