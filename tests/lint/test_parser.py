"""The parser: agreement with BuildKit on every Dockerfile of the tests, exact spans, tolerance."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.dockerfile import parse
from dockopt.dockerfile.shell import parse_shell

from .buildkit_oracle import disagreements
from .cases import all_dockerfiles

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*"))
EXTRA = [  # tricky inputs that exist only for the parser
    "FROM a\nRUN <<EOF bash\nset -e\necho $HOME\nEOF\n",
    "FROM a\nRUN 3<<IN cat <&3 && cat <<'Q'\nx\nIN\n$y\nQ\n",
    "FROM a\nCOPY --chmod=644 <<one.txt <<two.txt /dst/\n1\none.txt\n2\ntwo.txt\n",
    "FROM a\nRUN echo \\\n",
    "FROM a\nRUN echo a \\\n  # only a comment\n\n",
    "from a as B\nonbuild run --mount=type=cache,target=/c echo hi\ncopy [\"a b\", \"/c\"]\n",
    "\ufeff# syntax=docker/dockerfile:1\n#escape=\\\nFROM a\nRUN echo \\\\\n",
    "FROM a\nHEALTHCHECK --interval=1s \\\n  CMD [\"curl\", \"-f\", \"http://x\"]\nLABEL a=b \\\n  c=\"d e\"\n",
    "FROM a\nRUN <<-EOT sh\n\techo tab\n\tEOT\n",
    "FROM a\n   RUN   echo   indented\nENV A=\"x\\\"y\" B='z'\n",
    "FROM a\nRUN [\"echo\", \"json\"] trailing text\nRUN [\"unterminated\"\n",
    "FROM a\nONBUILD ONBUILD RUN x\nONBUILD FROM b\n" + "ONBUILD " * 3000 + "RUN deep\n",
    "FROM a\nRUN --mount=type=cache,target=/v/é x\nCOPY --chown=ü:ü a b\nRUN --a=Ņb c\n",
    "FROM a\nRUN <<EOF cat ${a#b}\nbody\nEOF\nRUN <<EOF cat 'x\nbody\nEOF\nRUN <<EOF cat ${a:-\"}\nb\nEOF\n",
    "FROM a\nRUN <<EOF1 cat <<2\" > /out\nfirst\nEOF1\nRUN <<EOF cat \\\nbody\nEOF\n",
    "FROM a\nRUN <<$EOT cat\nx\n$EOT\nRUN <<${E} cat\nx\n${E}\nRUN $A<<E cat\nx\nE\n",
    "FROM a\nRUN <<EOF1 cat <<-\"\" > /out\nfirst\nEOF1\nCOPY <<-'' <<B /conf/\ntwo\nB\n",
    "FROM a\nRUN python3 - <<\ufeffPY\nprint(1)\nPY\nRUN cat \ufeff<<PY\nx\nPY\n",
]


def _literal_dockerfiles() -> list[str]:
    """Every string literal in the lint tests that is a Dockerfile (has a FROM line)."""
    import ast
    import re

    found = []
    for source in sorted(Path(__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and re.search(r"(?mi)^\s*FROM\s", node.value) and "\n" in node.value:
                found.append(node.value)
    return found


def _texts() -> list[tuple[str, str]]:
    out = [(p.name, p.read_bytes().decode("utf-8")) for p in CORPUS]
    out += [(f"extra-{i}", t) for i, t in enumerate(EXTRA)]
    out += [(f"case-{i}", t) for i, t in enumerate(all_dockerfiles())]
    out += [(f"literal-{i}", t) for i, t in enumerate(dict.fromkeys(_literal_dockerfiles()))]
    return out


@pytest.mark.parametrize("name,text", _texts(), ids=[n for n, _ in _texts()])
def test_agrees_with_buildkit(name: str, text: str) -> None:
    assert disagreements(text) == []


@pytest.mark.parametrize("name,text", _texts(), ids=[n for n, _ in _texts()])
def test_spans_point_at_the_source(name: str, text: str) -> None:
    df = parse(text)
    for ins in df.instructions:
        src = text[ins.span.start:ins.span.end]
        assert src.startswith(ins.raw_keyword), (ins.line, src)
        assert df.position(ins.span.start) == (ins.line, ins.span.column)
        for flag in ins.flags:
            if flag.raw.isascii() and "\\" not in flag.raw and '"' not in flag.raw and "'" not in flag.raw:
                assert text[ins.to_source(flag.start):ins.to_source_end(flag.end)] == flag.raw
        for doc in ins.effective.heredocs:
            if doc.body_span is not None:
                assert text[doc.body_span.start:doc.body_span.end] + "\n" == doc.content
    for comment in df.comments:
        assert text[comment.span.start:comment.span.end].lstrip().startswith("#")


def test_model_details() -> None:
    text = ("ARG TAG=bookworm\nFROM --platform=linux/amd64 dockopt-test/debian:${TAG} AS Build\n"
            "RUN --mount=type=cache,target=/var/cache/apt \\\n    apt-get update\n"
            "COPY --from=build --chown=1:1 a b /dst/\nONBUILD COPY --link x /y\n"
            "RUN <<A <<-\"B\"\na\nA\n\tb $x\n\tB\nFROM build\n")
    df = parse(text, "Dockerfile.test")
    assert [g.values for g in df.global_args] == [["TAG=bookworm"]]
    first, second = df.stages
    assert (first.name, first.base, first.platform) == ("build", "dockopt-test/debian:${TAG}", "linux/amd64")
    assert second.base == "build" and df.stage_by_name("BUILD") is first
    run = first.instructions[0]
    assert (run.line, run.end_line, run.flags[0].name, run.flags[0].value) == (3, 4, "mount", "type=cache,target=/var/cache/apt")
    assert run.args_text == "apt-get update"
    assert text[run.to_source(run.args_start):].startswith("apt-get update")
    copy = first.instructions[1]
    assert copy.copy_sources() == ["a", "b"] and copy.copy_destination() == "/dst/"
    assert copy.flag("from").value == "build" and copy.flag("chown").value == "1:1"
    onbuild = first.instructions[2]
    assert onbuild.sub.keyword == "COPY" and onbuild.sub.trigger and onbuild.sub.flags[0].name == "link"
    assert onbuild.copy_sources() == ["x"]
    heredoc_run = first.instructions[3]
    a, b = heredoc_run.heredocs
    assert (a.name, a.content, a.chomp, a.expand) == ("A", "a\n", False, True)
    assert (b.name, b.content, b.text, b.chomp, b.expand) == ("B", "\tb $x\n", "b $x\n", True, False)
    assert (heredoc_run.line, heredoc_run.end_line) == (7, 11)


def test_escape_directive_and_crlf() -> None:
    text = "# escape=`\r\nFROM a\r\nRUN echo a `\r\n    b\r\n"
    df = parse(text)
    assert df.escape == "`" and df.newline == "\r\n"
    run = df.instructions[1]
    assert run.values == ["echo a     b"] and (run.line, run.end_line) == (3, 4)


def test_tolerant_parsing_reports_lines_and_goes_on() -> None:
    text = ("FROM a\nFOO bar\nENV A=1 B\nCMD [1]\n# escape=x\nRUN echo fine\nCOPY <<EOF /x\nno end\n")
    df = parse(text)
    errors = [(i.line, i.message) for i in df.issues if i.severity == "error"]
    assert (2, "unknown instruction: FOO") in errors
    assert any(line == 3 and "can't find =" in msg for line, msg in errors)
    assert any(line == 4 and "strings only" in msg for line, msg in errors)
    assert any(line == 7 and "unterminated heredoc" in msg for line, msg in errors)
    assert [i.keyword for i in df.instructions] == ["FROM", "FOO", "ENV", "CMD", "RUN", "COPY"]


def test_bad_escape_directive_is_an_issue_not_a_crash() -> None:
    df = parse("# escape=x\nFROM a\n")
    assert df.issues and df.issues[0].line == 1 and df.escape == "\\"


def test_shell_model() -> None:
    script = parse_shell("set -eux; DEBIAN_FRONTEND=noninteractive sudo apt-get -qy install \"a b\" c>/dev/null "
                         "|| (cd /x && make); curl -fsSL https://x | sh -s -- -y")
    names = [(c.op_before, c.name) for c in script.commands]
    assert names == [(None, "set"), (";", "apt-get"), ("||", "cd"), ("&&", "make"), (";", "curl"), ("|", "sh")]
    apt = script.commands[1]
    assert apt.uses_sudo and apt.subcommand() == "install" and apt.has_option("-y") and apt.args[-2:] == ["a b", "c"]
    assert [r.raw for r in apt.redirects] == [">/dev/null"]
    assert [[c.name for c in p] for p in script.pipelines()][-1] == ["curl", "sh"]
    tok = apt.argv[-2]
    assert script.text[tok.start:tok.end] == '"a b"'


def test_nested_variable_expansion() -> None:
    from dockopt.dockerfile.lexer import expand

    word = "php:${VERSION}${FLAVOR:+${VERSION:+-}}${FLAVOR}"
    assert expand(word, {"VERSION": "8.3", "FLAVOR": "cli"}) == "php:8.3-cli"
    assert expand(word, {"VERSION": "8.3"}) == "php:8.3"
    assert expand("${A:-x}y$B'$C'", {"B": "b"}) == "xyb$C"


def test_agrees_with_buildkit_on_mutated_files() -> None:
    """Seeded mutations of the test Dockerfiles (odd quotes, cut heredocs, stray escapes…): every
    one either agrees with BuildKit or both reject it."""
    import random

    rng = random.Random(20261128)
    seeds = [t for _, t in _texts()]
    pieces = list("\\\n\r\t \"'`$<>|&;(){}[]#=-:/.,*?!~") + [
        "<<EOF", "<<-X", "EOF", "RUN ", "FROM ", "--mount=", "\\\n", "ONBUILD ", "# escape=`\n", "\ufeff",
        "&&", "COPY --from=", "${A:-b}", "\n\n", "<<'EOF'", "\tEOF", " -- ", "é"]
    failures = []
    for _ in range(1500):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.5:
                text = text[:i] + rng.choice(pieces) + text[i:]
            elif roll < 0.8:
                text = text[:i] + text[i + rng.randint(1, 8):]
            else:
                text = text[:i]
        problems = disagreements(text)
        if problems:
            failures.append((text, problems[:2]))
    assert not failures, failures[:3]


def test_oracle_embeds_the_buildkit_it_is_said_to() -> None:
    """The agreement tests compare with this BuildKit; a new wheel must update the note."""
    import dockerfile

    from .buildkit_oracle import ORACLE_BUILDKIT

    assert f"buildkit@{ORACLE_BUILDKIT}/".encode() in Path(dockerfile.__file__).read_bytes()


# BuildKit's frontend 1.16+ (commit 0b77373a, parser_heredoc_test.go): blanks after `<<`.
@pytest.mark.parametrize("text, names", [
    ("FROM a\nRUN <<  EOF\napt-get install -y x\nEOF\n", ["EOF"]),
    ("FROM a\nRUN <<  EOF  > foo\nbody\nEOF\n", ["EOF"]),
    ("FROM a\nRUN <<\tEOF\nbody\nEOF\n", ["EOF"]),
    ("FROM a\nRUN << -EOF\nbody\n-EOF\n", ["-EOF"]),
    ("FROM a\nRUN cat << 'EOF' | sh\nbody $x\nEOF\n", ["EOF"]),
    ("FROM a\nRUN <<  A cat <<  B\na\nA\nb\nB\n", ["A", "B"]),
])
def test_heredoc_with_blanks_after_the_operator(text: str, names: list[str]) -> None:
    df = parse(text)
    run = df.instructions[1]
    assert [h.name for h in run.heredocs] == names
    assert not [i for i in df.issues if i.severity == "error"]
    assert len(df.instructions) == 2 and run.end_line == text.count("\n")


def test_heredoc_blanks_quoted_word_is_not_expanded() -> None:
    run = parse("FROM a\nRUN cat << 'EOF'\n$x\nEOF\n").instructions[1]
    assert run.heredocs[0].expand is False and run.heredocs[0].content == "$x\n"


def test_chomp_then_blank_is_not_a_heredoc_as_in_buildkit() -> None:
    """`<<- EOF`: BuildKit's lexer keeps only blanks directly after `<<` in the word, so the words
    are `<<-` and `EOF`, and `<<-` names no heredoc (BuildKit's TestHeredocsFromLine lists this
    line but asserts nothing about it: it loops over the heredocs found, and there are none). The
    body lines are then instructions, and the build fails on them."""
    df = parse("FROM a\nRUN <<- EOF\n\techo hi\nEOF\n")
    assert not df.instructions[1].heredocs
    assert [i.message for i in df.issues if i.severity == "error"][0].startswith("unknown instruction")


def test_chomp_strips_tabs_only() -> None:
    """`<<-` strips leading tabs from the terminator line; spaces are kept, so a space-indented
    `EOF` is body, not the end."""
    df = parse("FROM a\nRUN <<-EOF\n\techo tab\n  EOF\n\tEOF\nRUN echo after\n")
    run = df.instructions[1]
    assert run.heredocs[0].content == "\techo tab\n  EOF\n" and run.heredocs[0].terminator_line == 5
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN", "RUN"]
    assert disagreements("FROM a\nRUN <<-EOF\n\techo tab\n  EOF\n\tEOF\nRUN echo after\n") == []


@pytest.mark.parametrize("ending", ["\n", "", "\r\n"])
def test_line_limit_is_buildkits(ending: str) -> None:
    """65,535 bytes per line, `\\r` included, counted in UTF-8 (agreeing with the oracle)."""
    for size in (65534, 65535, 65536):
        text = "FROM a\nRUN " + "x" * (size - 4) + ending
        over = size + (ending == "\r\n") > 65535
        errors = [i for i in parse(text).issues if i.severity == "error"]
        assert bool(errors) == over, (size, ending)
        assert disagreements(text) == []
    text = "FROM a\nRUN " + "é" * 32766 + "\n"  # 65,536 bytes in 32,770 characters
    assert [i.line for i in parse(text).issues] == [2]
    assert disagreements(text) == []


def test_an_overlong_line_is_one_finding_and_the_rest_is_linted() -> None:
    from dockopt.dockerfile.lint import lint_text

    text = "FROM a\nRUN " + "x" * 1_000_000 + "\nRUN apt-get install -y --no-install-recommends curl\n"
    findings = lint_text(text)
    syntax = [f for f in findings if f.rule_id == "DO400"]
    assert [(f.location.line, f.message) for f in syntax] == [
        (2, "dockerfile line greater than max allowed size of 65535")]
    assert any(f.rule_id == "DO101" and f.location.line == 3 for f in findings)
