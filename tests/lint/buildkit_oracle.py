"""Compare dockopt's parser with BuildKit's (the `dockerfile` package wraps the Go parser).

`dockerfile==3.4.0` embeds BuildKit v0.12.5 (dockerfile frontend 1.6). dockopt follows the
frontend 1.16+ rule that blanks may follow `<<` (`RUN <<  EOF`, BuildKit commit 0b77373a), which
that version predates: a file with `<<` and a blank after it is not compared (its heredocs are
tested against BuildKit's own test file instead, in test_parser.py).
"""

from __future__ import annotations

import re

import dockerfile as buildkit

from dockopt.dockerfile import parse

# Issues BuildKit's *parser* does not raise (its instruction layer or linter does).
_NOT_PARSER_ERRORS = ("unknown instruction", "before the first FROM", "empty continuation", "no FROM instruction",
                      "ONBUILD ONBUILD", "as an ONBUILD trigger")


_NEWER_HEREDOC_SYNTAX = re.compile(r"<<[\t\r ]")
ORACLE_BUILDKIT = "v0.12.5"


def comparable(text: str) -> bool:
    """The oracle's BuildKit and dockopt's rules are the same for this text."""
    return not _NEWER_HEREDOC_SYNTAX.search(text)


def disagreements(text: str) -> list[str]:
    """Differences between the two parsers on `text` (empty when they agree)."""
    if not comparable(text):
        return []
    ours = parse(text, "Dockerfile")
    our_errors = [i for i in ours.issues if i.severity == "error"
                  and not any(s in i.message for s in _NOT_PARSER_ERRORS)]
    try:
        theirs = buildkit.parse_string(text)
    except buildkit.GoParseError as exc:
        return [] if our_errors else [f"BuildKit rejects the file ({exc}); dockopt accepted it"]
    if our_errors:
        return [f"dockopt reports {our_errors[0].message!r} at line {our_errors[0].line}; BuildKit accepts"]
    problems: list[str] = []
    mine = ours.instructions
    if len(mine) != len(theirs):
        problems.append(f"instruction count {len(mine)} != {len(theirs)}")
    for a, b in zip(mine, theirs):
        where = f"line {b.start_line} ({b.cmd})"
        if b.cmd is None:
            continue
        if a.raw_keyword != b.cmd:
            problems.append(f"{where}: keyword {a.raw_keyword!r} != {b.cmd!r}")
        if (a.line, a.end_line) != (b.start_line, b.end_line):
            problems.append(f"{where}: lines {a.line}-{a.end_line} != {b.start_line}-{b.end_line}")
        if tuple(f.raw for f in a.flags) != tuple(b.flags):
            problems.append(f"{where}: flags {[f.raw for f in a.flags]} != {list(b.flags)}")
        effective = a.effective
        if b.sub_cmd is not None:
            if a.sub is None or a.sub.raw_keyword != b.sub_cmd:
                problems.append(f"{where}: ONBUILD trigger differs")
        values = tuple(effective.values) if a.known else ("",)
        if values != tuple(b.value) and not (values == () and b.value in ((), ("",))):
            problems.append(f"{where}: values {values} != {b.value}")
        if effective.json != b.json:
            problems.append(f"{where}: json {effective.json} != {b.json}")
        if b.sub_cmd is None:
            ours_h = [(h.name, h.content, h.fd) for h in a.heredocs]
            theirs_h = [(h.name, h.content, h.file_descriptor) for h in b.heredocs]
            if ours_h != theirs_h:
                problems.append(f"{where}: heredocs {ours_h} != {theirs_h}")
    return problems
