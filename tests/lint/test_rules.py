"""Every rule: it fires, it stays quiet, and its fix gives exactly the expected text."""

from __future__ import annotations

import pytest

from dockopt.dockerfile.fix import fix_text
from dockopt.dockerfile.lint import LintConfig, lint_text
from dockopt.dockerfile.rules import RULES
from dockopt.findings import Severity

from .cases import CASES, CRLF_COMMENTS, CRLF_COMMENTS_FIXED, HEREDOC_APT, Case


def _ids(case: Case) -> str:
    return f"{case.rule}-{CASES.index(case)}"


def only(rule_id: str, unsafe: bool = False) -> LintConfig:
    cfg = LintConfig(ignore=set(RULES) - {rule_id}, unsafe_fixes=unsafe)
    return cfg


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rule_fires(case: Case) -> None:
    found = [f for f in lint_text(case.fires) if f.rule_id == case.rule]
    assert found, f"{case.rule} did not fire on:\n{case.fires}"
    f = found[0]
    assert f.location.line and f.location.file == "Dockerfile"
    assert f.category == RULES[case.rule].category


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_rule_quiet(case: Case) -> None:
    found = [f for f in lint_text(case.clean) if f.rule_id == case.rule]
    assert not found, f"{case.rule} fired on clean input: {found[0].message}"


FIX_CASES = [c for c in CASES if c.fixed is not None]


@pytest.mark.parametrize("case", FIX_CASES, ids=_ids)
def test_rule_fix(case: Case) -> None:
    result = fix_text(case.fires, "Dockerfile", only(case.rule, case.unsafe))
    assert result.text == case.fixed
    assert not [f for f in lint_text(result.text) if f.rule_id == case.rule]
    # idempotent: fixing the fixed text changes nothing
    assert fix_text(result.text, "Dockerfile", only(case.rule, case.unsafe)).text == result.text


def test_unsafe_fix_needs_opt_in() -> None:
    case = next(c for c in CASES if c.unsafe)
    assert fix_text(case.fires, "Dockerfile", only(case.rule, False)).text == case.fires


def test_every_rule_has_cases_and_docs() -> None:
    covered = {c.rule for c in CASES}
    assert set(RULES) <= covered, f"rules without tests: {sorted(set(RULES) - covered)}"
    fixed = {c.rule for c in FIX_CASES}
    for rule in RULES.values():
        assert rule.fixable == (rule.id in fixed), rule.id
        text = rule.explain()
        assert rule.id in text and "Why it matters" in text and "How to fix" in text
        assert rule.id[:3] == {"size": "DO1", "security": "DO2", "speed": "DO3", "correctness": "DO4"}[str(rule.category)]


def test_all_fixes_together_keep_comments_and_crlf() -> None:
    result = fix_text(CRLF_COMMENTS)
    assert result.text == CRLF_COMMENTS_FIXED
    assert fix_text(result.text).text == result.text


def test_heredoc_runs_are_linted_and_only_get_cache_mounts() -> None:
    text = HEREDOC_APT
    ids = {f.rule_id for f in lint_text(text)}
    assert {"DO101", "DO102"} <= ids
    fixed = fix_text(text).text
    assert fixed == ("FROM dockopt-test/debian:bookworm\nRUN --mount=type=cache,target=/var/cache/apt,sharing=locked "
                     "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked <<EOF\n"
                     "apt-get update\napt-get install -y curl\nEOF\n")
    assert "DO101" not in {f.rule_id for f in lint_text(fixed)}


def test_inline_and_file_ignores() -> None:
    text = ("FROM dockopt-test/debian:bookworm\n# dockopt: ignore=DO102,DO101\n"
            "RUN apt-get update && apt-get install -y curl\nRUN apt-get update && apt-get install -y wget\n")
    lines = {(f.rule_id, f.location.line) for f in lint_text(text)}
    assert ("DO102", 3) not in lines and ("DO101", 3) not in lines
    assert ("DO102", 4) in lines and ("DO101", 4) in lines
    wide = "# dockopt: ignore-file=DO102\n" + text
    assert not [f for f in lint_text(wide) if f.rule_id == "DO102"]
    assert not lint_text("# dockopt: ignore-file\n" + text)


def test_config_severity_override_and_ignore() -> None:
    cfg = LintConfig.from_section({"severity": {"DO102": "critical"}, "ignore": ["DO101"]})
    found = lint_text("FROM dockopt-test/debian:bookworm\nRUN apt-get install -y curl\n", config=cfg)
    assert {f.rule_id for f in found} >= {"DO102"} and "DO101" not in {f.rule_id for f in found}
    assert next(f for f in found if f.rule_id == "DO102").severity.name == "CRITICAL"


def test_trusted_registries_from_config() -> None:
    text = "FROM registry.internal:5000/base:1\nUSER 1\n"
    assert any(f.rule_id == "DO206" for f in lint_text(text))
    cfg = LintConfig.from_section({"trusted-registries": ["registry.internal:5000"]})
    assert not any(f.rule_id == "DO206" for f in lint_text(text, config=cfg))


def test_onbuild_triggers_are_linted() -> None:
    found = lint_text("FROM dockopt-test/debian:bookworm\nONBUILD ADD app.py /app/\nONBUILD RUN sudo id\nUSER 1\n")
    assert {"DO107", "DO204"} <= {f.rule_id for f in found}


def test_fix_verification_rejects_edits_that_change_more_than_they_should() -> None:
    from dockopt.dockerfile.fix import _shape, _verify
    from dockopt.dockerfile.parser import parse

    text = "FROM dockopt-test/debian:bookworm\nCOPY a /a\nRUN apt-get install -y curl\n"
    df = parse(text)
    before = lint_text(text)
    target = [f for f in before if f.rule_id == "DO102"]
    shape = _shape(df)
    good = text.replace("install -y", "install --no-install-recommends -y")
    assert _verify(before, good, "Dockerfile", LintConfig(), target, 0, shape)
    dropped_copy = good.replace("COPY a /a\n", "")
    assert not _verify(before, dropped_copy, "Dockerfile", LintConfig(), target, 0, shape)
    broken = good.replace("RUN apt-get", "RUNN apt-get")
    assert not _verify(before, broken, "Dockerfile", LintConfig(), target, 0, shape)
    unchanged = text
    assert not _verify(before, unchanged, "Dockerfile", LintConfig(), target, 0, shape)


def test_maintainer_and_cmd_fixes_keep_the_exact_value() -> None:
    from dockopt.dockerfile.lexer import expand
    from dockopt.dockerfile.parser import parse

    fixed = fix_text('FROM a:1\nMAINTAINER Jöhn "J" $X <j@x>\nCMD résumé --go\nUSER 1\n').text
    label, cmd = parse(fixed).instructions[1:3]
    assert label.keyword == "LABEL" and expand(label.values[1]) == 'Jöhn "J" $X <j@x>'
    assert cmd.json and cmd.values == ["résumé", "--go"]


def test_no_rule_crashes_and_fixes_stay_idempotent_on_mutated_files() -> None:
    import random

    from dockopt.dockerfile.lint import INTERNAL_ERROR_ID

    from .cases import all_dockerfiles

    rng = random.Random(7)
    seeds = all_dockerfiles()
    pieces = list("\\\n\"'`$<>|&;()#=-/*") + ["<<EOF", "EOF", "RUN ", "\\\n", "&&", " | sh", "rm -rf /tmp/x",
                                                "apt-get install -y x", "ONBUILD ", "COPY --from=a "]
    for _ in range(250):
        text = rng.choice(seeds)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(text) + 1)
            if rng.random() < 0.6:
                text = text[:i] + rng.choice(pieces) + text[i:]
            else:
                text = text[:i] + text[i + rng.randint(1, 8):]
        assert not [f for f in lint_text(text) if f.rule_id == INTERNAL_ERROR_ID], text
        once = fix_text(text, "Dockerfile", LintConfig(unsafe_fixes=True)).text
        assert fix_text(once, "Dockerfile", LintConfig(unsafe_fixes=True)).text == once, text


def _shell_ok(script: str) -> bool:
    import subprocess

    return subprocess.run(["sh", "-n", "-c", script], capture_output=True).returncode == 0


@pytest.mark.parametrize("case", FIX_CASES, ids=_ids)
def test_fixed_run_commands_are_valid_shell(case: Case) -> None:
    """`sh -n` (the shell's own parser) accepts every RUN command line after the fix."""
    from dockopt.dockerfile.parser import parse

    fixed = fix_text(case.fires, "Dockerfile", only(case.rule, case.unsafe)).text
    for ins in parse(fixed).instructions:
        if ins.keyword == "RUN" and not ins.json and ins.args_text:
            assert _shell_ok(ins.args_text), ins.args_text


def test_batch_workers_match_one_process_and_a_failed_worker_is_made_up_for(monkeypatch) -> None:
    import os

    from dockopt.dockerfile import batch

    items = [(f"f{i}.dockerfile", case.fires) for i, case in enumerate(CASES[:80])]
    single = batch.lint_texts(items, LintConfig(), jobs=1)
    assert batch.lint_texts(items, LintConfig(), jobs=3) == single
    # A worker that dies (cannot be provoked for real): its part is linted in the parent instead.
    parent, real_dumps = os.getpid(), batch.pickle.dumps

    def dying_dumps(obj, protocol=None):
        if os.getpid() != parent:
            raise RuntimeError("worker died")
        return real_dumps(obj, protocol=protocol)

    monkeypatch.setattr(batch.pickle, "dumps", dying_dumps)
    assert batch.lint_texts(items, LintConfig(), jobs=3) == single


def test_signature_flags_say_what_they_disable() -> None:
    """DO210 for `apk --allow-untrusted` is about package signatures, not TLS, and stays high."""
    cases = {
        "FROM alpine:3.20\nRUN apk add --allow-untrusted /tmp/x.apk\n": "package signature verification",
        "FROM debian:bookworm\nRUN apt-get install -y --allow-unauthenticated x\n": "package signature verification",
        "FROM fedora:40\nRUN dnf install -y --nogpgcheck x\n": "package signature verification",
        "FROM debian:bookworm\nRUN curl -k https://example.com/a -o /a\n": "TLS certificate verification",
    }
    for text, what in cases.items():
        found = [f for f in lint_text(text) if f.rule_id == "DO210"]
        assert len(found) == 1 and found[0].message.endswith(f"disables {what}"), (text, found)
        assert found[0].severity == RULES["DO210"].severity == Severity.HIGH
