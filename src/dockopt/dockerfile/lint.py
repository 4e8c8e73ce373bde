"""Run the rules over a Dockerfile: findings, inline ignores, configuration, fingerprints."""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, field

from dockopt.dockerfile.model import Dockerfile, Instruction
from dockopt.dockerfile.parser import parse
from dockopt.dockerfile.rules import RULES, LintContext, LintOptions
from dockopt.errors import InputError
from dockopt.findings import Finding, Location, Severity

INTERNAL_ERROR_ID = "DO000"
_IGNORE = re.compile(r"^dockopt:\s*(ignore|ignore-file)\s*(?:=\s*([A-Za-z0-9_, ]+))?\s*$", re.I)


@dataclass
class LintConfig:
    """The `lint:` section of the config file, merged with command-line options."""

    ignore: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    """Per-rule severity overrides."""
    trusted_registries: tuple[str, ...] | None = None
    fail_on: Severity | None = Severity.MEDIUM
    unsafe_fixes: bool = False

    @classmethod
    def from_section(cls, section: dict) -> "LintConfig":
        cfg = cls()
        # Types and unknown keys are checked when the config is loaded (dockopt.config.schema).
        ignore = section.get("ignore", [])
        if isinstance(ignore, str):
            ignore = [ignore]
        if not isinstance(ignore, list):
            raise InputError("config lint.ignore must be a list of rule ids")
        cfg.ignore = {str(i).strip().upper() for i in ignore}
        sev = section.get("severity", {}) or {}
        if not isinstance(sev, dict):
            raise InputError("config lint.severity must map rule ids to severities")
        cfg.severity = {str(k).upper(): Severity.parse(str(v)) for k, v in sev.items()}
        for rule_id in cfg.ignore | set(cfg.severity):
            if rule_id not in RULES:
                raise InputError(f"config lint: unknown rule id {rule_id}")
        trusted = section.get("trusted-registries")
        if trusted is not None:
            if not isinstance(trusted, list):
                raise InputError("config lint.trusted-registries must be a list")
            cfg.trusted_registries = tuple(str(t) for t in trusted)
        if "fail-on" in section:
            value = str(section["fail-on"])
            cfg.fail_on = None if value.lower() == "never" else Severity.parse(value)
        cfg.unsafe_fixes = bool(section.get("fix-unsafe", False))
        return cfg

    def options(self) -> LintOptions:
        opts = LintOptions(unsafe_fixes=self.unsafe_fixes)
        if self.trusted_registries is not None:
            opts.trusted_registries = self.trusted_registries
        return opts


def _ignores(df: Dockerfile) -> tuple[set[str] | None, dict[int, set[str] | None]]:
    """(file-wide ignored ids or None, {instruction line: ids (None = all)})."""
    file_wide: set[str] | None = set()
    per_line: dict[int, set[str] | None] = {}
    ordered = sorted(df.instructions, key=lambda ins: ins.line)
    starts = [ins.line for ins in ordered]
    for comment in df.comments:
        m = _IGNORE.match(comment.text)
        if not m:
            continue
        ids = {i.strip().upper() for i in (m.group(2) or "").split(",") if i.strip()} or None
        if m.group(1).lower() == "ignore-file":
            if ids is None or file_wide is None:
                file_wide = None
            else:
                file_wide |= ids
            continue
        line = comment.span.line
        # the instruction the comment sits inside (instructions do not overlap), else the next one
        k = bisect.bisect_left(starts, line) - 1
        if k >= 0 and line <= ordered[k].end_line:
            target = ordered[k].line
        else:
            j = bisect.bisect_right(starts, line)
            target = starts[j] if j < len(starts) else None
        if target is None:
            continue
        if ids is None or per_line.get(target, set()) is None:
            per_line[target] = None
        else:
            per_line.setdefault(target, set()).update(ids)  # type: ignore[union-attr]
    return file_wide, per_line


def fingerprint(df: Dockerfile, rule_id: str, ins: Instruction | None, line: int | None) -> str:
    """Stable across line shifts: the rule and the instruction's text, whitespace-normalised."""
    text = " ".join(ins.logical.split()) if ins is not None else (df.line_text(line) if line else "")
    return hashlib.sha256(f"{rule_id}\0{text}".encode()).hexdigest()[:16]


def lint_dockerfile(df: Dockerfile, config: LintConfig | None = None) -> list[Finding]:
    config = config or LintConfig()
    ctx = LintContext(df, config.options())
    file_wide, per_line = _ignores(df)
    if file_wide is None:
        return []
    findings: list[Finding] = []
    fingerprints: dict[tuple[str, int | None], str] = {}
    for rule in RULES.values():
        if rule.id in config.ignore or rule.id in file_wide:
            continue
        severity = config.severity.get(rule.id, rule.severity)
        try:
            hits = list(rule.check(ctx))
        except Exception as exc:  # a rule bug must not hide the other rules' findings
            findings.append(Finding(INTERNAL_ERROR_ID, Severity.INFO, rule.category,
                                    f"internal error in rule {rule.id}: {type(exc).__name__}: {exc}",
                                    Location(file=df.path, line=1), title="dockopt internal error"))
            continue
        for hit in hits:
            ins = hit.instruction
            line = hit.line if hit.line is not None else (ins.line if ins else 1)
            owner = ins.line if ins is not None else line
            if owner in per_line:
                ignored = per_line[owner]
                if ignored is None or rule.id in ignored:
                    continue
            location = Location(file=df.path, line=line,
                                column=ins.span.column if ins is not None and hit.line is None else None,
                                end_line=ins.end_line if ins is not None and ins.end_line != line else None)
            details = hit.details  # each Hit has its own dict
            # once per rule and instruction: a long RUN with many findings is hashed once
            key = (rule.id, id(ins)) if ins is not None else (rule.id, line)
            if key not in fingerprints:
                fingerprints[key] = fingerprint(df, rule.id, ins, line)
            details["fingerprint"] = fingerprints[key]
            findings.append(Finding(rule.id, severity, rule.category, hit.message, location,
                                    title=rule.title, fix=hit.fix, details=details))
    findings.sort(key=lambda f: (f.location.line or 0, f.rule_id))
    return findings


def lint_text(text: str, path: str = "Dockerfile", config: LintConfig | None = None) -> list[Finding]:
    return lint_dockerfile(parse(text, path), config)
