"""Baselines: remember today's findings so that only new ones fail a build.

A finding is identified by (file, rule id, fingerprint); the fingerprint is computed by the
producer from what the finding is about (for lint: the instruction's text), so editing other
lines does not turn old findings into new ones.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from dockopt.findings import Finding
from dockopt.report.output import write_text
from dockopt.safeload import load_json_object, read_regular_file
from dockopt.shape import Int, ListOf, Obj, Str, check

BASELINE = Obj({"baseline_version": Int(), "findings": ListOf(Obj({"file": Str(), "rule_id": Str(),
                                                                    "fingerprint": Str()}))},
               required=("findings",))

BASELINE_VERSION = 1


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.location.file or "", f.rule_id, str(f.details.get("fingerprint", f.message)))


def write_baseline(path: str | Path, findings: list[Finding]) -> None:
    entries = [{"file": k[0], "rule_id": k[1], "fingerprint": k[2]} for k in map(_key, findings)]
    entries.sort(key=lambda e: (e["file"], e["rule_id"], e["fingerprint"]))
    write_text(json.dumps({"baseline_version": BASELINE_VERSION, "findings": entries}, indent=2) + "\n", path)


def read_baseline(path: str | Path) -> Counter[tuple[str, str, str]]:
    raw = read_regular_file(path, "baseline")
    data = load_json_object(raw, f"baseline {path}")
    check(data, BASELINE, f"baseline {path}")
    known: Counter[tuple[str, str, str]] = Counter()
    for e in data["findings"]:
        known[(e.get("file") or "", e.get("rule_id") or "", e.get("fingerprint") or "")] += 1
    return known


def new_findings(findings: list[Finding], known: Counter[tuple[str, str, str]]) -> list[Finding]:
    """Findings not in the baseline (each baseline entry absorbs one matching finding)."""
    left = Counter(known)
    out = []
    for f in findings:
        k = _key(f)
        if left[k] > 0:
            left[k] -= 1
        else:
            out.append(f)
    return out
