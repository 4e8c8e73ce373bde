"""Apply fixes as text edits, then re-parse and re-lint to prove they did only what they should.

The loop runs to a fixed point (fixes that touch the same text wait for the next round), so
applying `fix_text` to its own output changes nothing: fixes are idempotent by construction.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

from dockopt.dockerfile.lint import LintConfig, lint_dockerfile
from dockopt.dockerfile.parser import parse
from dockopt.dockerfile.rules import RULES
from dockopt.findings import Finding, TextEdit

MAX_ROUNDS = 8
# Findings a correct fix may bring about: two RUNs that got the same cache mounts become mergeable.
_MAY_APPEAR = frozenset({"DO106"})


@dataclass
class AppliedFix:
    rule_id: str
    line: int
    description: str


@dataclass
class FixResult:
    original: str
    text: str
    applied: list[AppliedFix] = field(default_factory=list)
    rejected: list[AppliedFix] = field(default_factory=list)
    """Fixes whose result did not verify (left out)."""

    @property
    def changed(self) -> bool:
        return self.text != self.original


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    out, pos = [], 0
    for e in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[pos:e.start])
        out.append(e.replacement)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def _overlaps(a: TextEdit, b: TextEdit) -> bool:
    if a == b:
        return False
    if a.start == a.end or b.start == b.end:  # insertions collide only at the same point / inside
        return a.start == b.start or (a.start < b.start < a.end) or (b.start < a.start < b.end)
    return a.start < b.end and b.start < a.end


class _EditSet:
    """Edits accepted for one round, kept sorted so that a new edit is checked against its
    neighbours only (accepted edits never overlap, so their ends ascend with their starts):
    choosing the fixes of a round is O(n log n), not O(n²)."""

    def __init__(self) -> None:
        self._starts: list[tuple[int, int]] = []
        self._edits: list[TextEdit] = []
        self._seen: set[TextEdit] = set()

    def conflicts(self, e: TextEdit) -> bool:
        i = bisect.bisect_left(self._starts, (e.start, e.end))
        k = i - 1
        while k >= 0 and (self._edits[k].end > e.start or self._edits[k].start == e.start):
            if _overlaps(e, self._edits[k]):
                return True
            k -= 1
        k = i
        while k < len(self._edits) and (self._edits[k].start < e.end or self._edits[k].start == e.start):
            if _overlaps(e, self._edits[k]):
                return True
            k += 1
        return False

    def add(self, e: TextEdit) -> None:
        if e in self._seen:
            return
        self._seen.add(e)
        i = bisect.bisect_right(self._starts, (e.start, e.end))
        self._starts.insert(i, (e.start, e.end))
        self._edits.insert(i, e)

    def edits(self) -> list[TextEdit]:
        return list(self._edits)


def _fixable(findings: list[Finding], config: LintConfig) -> list[Finding]:
    out = []
    for f in findings:
        rule = RULES.get(f.rule_id)
        if f.fix is None or not f.fix.edits or rule is None:
            continue
        if rule.opt_in_fix and not config.unsafe_fixes:
            continue
        out.append(f)
    return out


def _shape(df) -> list[tuple[str | None, int]]:
    """Per stage: its name and how many non-RUN instructions it has. Fixes only merge RUNs and
    rewrite instructions in place, so this must not change."""
    return [(s.name, sum(1 for i in s.instructions if i.keyword != "RUN")) for s in df.stages]


def _verify(before: list[Finding], after_text: str, path: str, config: LintConfig,
            fixed: list[Finding], before_errors: int, before_shape: list[tuple[str | None, int]]) -> bool:
    df = parse(after_text, path)
    if sum(1 for i in df.issues if i.severity == "error") > before_errors:
        return False
    if _shape(df) != before_shape:
        return False
    after = lint_dockerfile(df, config)
    old, new = Counter(f.rule_id for f in before), Counter(f.rule_id for f in after)
    if any(new[r] > old[r] for r in new if r not in _MAY_APPEAR):
        return False  # a fix introduced a problem
    for f in fixed:
        if new[f.rule_id] >= old[f.rule_id]:
            return False  # the fix did not remove what it was for
    return True


def fix_text(text: str, path: str = "Dockerfile", config: LintConfig | None = None) -> FixResult:
    config = config or LintConfig()
    result = FixResult(original=text, text=text)
    current = text
    for _ in range(MAX_ROUNDS):
        df = parse(current, path)
        errors = sum(1 for i in df.issues if i.severity == "error")
        shape = _shape(df)
        findings = lint_dockerfile(df, config)
        rejected = {(r.rule_id, r.line) for r in result.rejected}
        candidates = [f for f in _fixable(findings, config) if (f.rule_id, f.location.line) not in rejected]
        if not candidates:
            break
        chosen: list[Finding] = []
        accepted = _EditSet()
        for f in candidates:
            assert f.fix is not None
            if any(accepted.conflicts(e) for e in f.fix.edits):
                continue  # next round
            chosen.append(f)
            for e in f.fix.edits:
                accepted.add(e)
        edits = accepted.edits()
        attempt = apply_edits(current, edits)
        if _verify(findings, attempt, path, config, chosen, errors, shape):
            current = attempt
            result.applied.extend(AppliedFix(f.rule_id, f.location.line or 0, f.fix.description)  # type: ignore[union-attr]
                                  for f in chosen)
            continue
        # Some fix misbehaved together with the others: try them one at a time.
        progressed = False
        for f in chosen:
            assert f.fix is not None
            single = apply_edits(current, list(f.fix.edits))
            if _verify(findings, single, path, config, [f], errors, shape):
                current = single
                result.applied.append(AppliedFix(f.rule_id, f.location.line or 0, f.fix.description))
                progressed = True
                break  # offsets changed: re-lint before the next one
            result.rejected.append(AppliedFix(f.rule_id, f.location.line or 0, f.fix.description))
        if not progressed and not chosen:
            break
    result.text = current
    return result
