"""Renderers for file-located findings: table, JSON, SARIF 2.1.0 and JUnit XML.

They take `Finding`s plus a description of the rules, so any command whose findings point at
files (lint today) can use them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

from dockopt import __version__
from dockopt.findings import Finding, Severity
from dockopt.report.layout import indented
from dockopt.units import plural

SCHEMA_VERSION = 1
INFORMATION_URI = "https://github.com/dockopt/dockopt"


@dataclass(frozen=True)
class RuleInfo:
    id: str
    title: str
    category: str
    severity: Severity
    help: str


def _file_uri(path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        return p.as_uri()
    return p.as_posix()


# ---------------------------------------------------------------------------- table

def render_table(findings: list[Finding], files: list[str], color: bool = False, width: int | None = None,
                 summary: bool = True) -> str:
    """One line per finding; when `width` is given and a line would pass it, the message goes
    on its own indented lines below `location  RULE  SEVERITY`."""
    if not findings:
        return f"no findings in {plural(len(files), 'file')}\n" if summary else ""
    loc_width = max(len(str(f.location)) for f in findings)
    rows = []
    for f in findings:
        fixable = " [fixable]" if f.fix is not None else ""
        sev = str(f.severity).upper()
        plain = f"{str(f.location):<{loc_width}}  {f.rule_id}  {sev:<8}"
        if color:
            code = {"CRITICAL": "1;31", "HIGH": "31", "MEDIUM": "33", "LOW": "36", "INFO": "2"}[sev]
            sev = f"\x1b[{code}m{sev:<8}\x1b[0m"
        else:
            sev = f"{sev:<8}"
        rows.append((plain, f"{str(f.location):<{loc_width}}  {f.rule_id}  {sev}", f"{f.message}{fixable}"))
    # One layout for the whole list: a narrow terminal puts every message on its own lines.
    narrow = width is not None and any(len(plain) + 1 + len(message) > width for plain, _, message in rows)
    lines = []
    for _, head, message in rows:
        if narrow:
            lines.append(head.rstrip())
            lines.extend(indented(message, width))
        else:
            lines.append(f"{head} {message}")
    if summary:
        counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
        by_severity = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), reverse=True) if n)
        fixable = sum(1 for f in findings if f.fix is not None)
        lines.append("")
        lines.append(f"{plural(len(findings), 'finding')} in {plural(len(files), 'file')}: {by_severity}"
                     + (f"; {fixable} fixable with --fix" if fixable else ""))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- JSON

def finding_json(f: Finding) -> dict:
    """`Finding.to_dict()` plus top-level `file`, `line` and `fixable`."""
    loc = f.location
    out = f.to_dict()  # Location.to_dict keeps only the fields that are set
    out["file"] = loc.file
    out["line"] = loc.line
    out["fixable"] = f.fix is not None
    return out


def render_json(findings: list[Finding], files: list[str], extra: dict | None = None) -> str:
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dockopt", "version": __version__},
        "files": files,
        "findings": [finding_json(f) for f in findings],
        "summary": {
            "total": len(findings),
            "by_severity": {str(s): sum(1 for f in findings if f.severity == s) for s in Severity},
            "fixable": sum(1 for f in findings if f.fix is not None),
        },
    }
    if extra:
        data.update(extra)
    # Large reports use the C encoder (it does not indent): many times faster on 10k findings.
    return json.dumps(data, indent=2 if len(findings) <= 2000 else None) + "\n"


# ---------------------------------------------------------------------------- SARIF

def _level(sev: Severity) -> str:
    return "error" if sev >= Severity.HIGH else "warning" if sev == Severity.MEDIUM else "note"


_SECURITY_SCORE = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                   Severity.LOW: "3.0", Severity.INFO: "1.0"}


def render_sarif(findings: list[Finding], rules: Iterable[RuleInfo]) -> str:
    rule_list = list(rules)
    index = {r.id: k for k, r in enumerate(rule_list)}
    extra_ids = sorted({f.rule_id for f in findings} - set(index))
    for rid in extra_ids:  # e.g. an internal-error finding
        index[rid] = len(rule_list)
        rule_list.append(RuleInfo(rid, rid, "correctness", Severity.INFO, rid))
    descriptors = []
    for r in rule_list:
        props: dict = {"tags": [r.category], "precision": "high"}
        if r.category == "security":
            props["security-severity"] = _SECURITY_SCORE[r.severity]
        descriptors.append({
            "id": r.id,
            "name": "".join(w.capitalize() for w in r.title.replace("-", " ").split() if w.isalnum()) or r.id,
            "shortDescription": {"text": r.title},
            "fullDescription": {"text": r.help.split("\n\n")[0] if r.help else r.title},
            "help": {"text": r.help or r.title},
            "defaultConfiguration": {"level": _level(r.severity)},
            "properties": props,
        })
    results = []
    for f in findings:
        region: dict = {"startLine": max(1, f.location.line or 1)}
        if f.location.column:
            region["startColumn"] = f.location.column
        if f.location.end_line and f.location.end_line >= region["startLine"]:
            region["endLine"] = f.location.end_line
        uri = _file_uri(f.location.file or "Dockerfile")
        result = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": _level(f.severity),
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": region,
            }}],
            "properties": {"severity": str(f.severity), "category": str(f.category)},
        }
        fp = f.details.get("fingerprint")
        if fp:
            result["partialFingerprints"] = {"dockoptFingerprint/v1": fp}
        if f.fix is not None and f.fix.edits:
            # The proposed edit, as character offsets into the file (what `--fix` would apply).
            result["fixes"] = [{
                "description": {"text": f.fix.description},
                "artifactChanges": [{
                    "artifactLocation": {"uri": uri},
                    "replacements": [{
                        "deletedRegion": {"charOffset": e.start, "charLength": e.end - e.start},
                        "insertedContent": {"text": e.replacement},
                    } for e in f.fix.edits],
                }],
            }]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockopt", "version": __version__, "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": descriptors}},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"


# ---------------------------------------------------------------------------- JUnit

def render_junit(findings: list[Finding], files: list[str], threshold: Severity | None) -> str:
    """One testsuite per file, one testcase per finding (failed at/over the threshold, else
    skipped-as-passing), and one passing testcase for a clean file."""
    suites = ET.Element("testsuites", name="dockopt lint")
    by_file: dict[str, list[Finding]] = {p: [] for p in files}
    for f in findings:
        by_file.setdefault(f.location.file or "", []).append(f)
    total_tests = total_failures = 0
    for path, items in by_file.items():
        failures = sum(1 for f in items if threshold is not None and f.severity >= threshold)
        suite = ET.SubElement(suites, "testsuite", name=path, tests=str(max(1, len(items))),
                              failures=str(failures), errors="0", skipped="0")
        if not items:
            ET.SubElement(suite, "testcase", classname=path, name="dockopt lint")
        for f in items:
            case = ET.SubElement(suite, "testcase", classname=path,
                                 name=f"{f.rule_id} line {f.location.line}", file=path,
                                 line=str(f.location.line or 0))
            if threshold is not None and f.severity >= threshold:
                failure = ET.SubElement(case, "failure", message=f.message, type=str(f.severity))
                failure.text = f"{f.location}: {f.rule_id} ({f.severity}, {f.category}) {f.message}"
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"{f.location}: {f.rule_id} ({f.severity}) {f.message} (below threshold)"
        total_tests += max(1, len(items))
        total_failures += failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
