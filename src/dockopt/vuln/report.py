"""Renderers for scan results: table (terminal), JSON, SARIF 2.1.0. CycloneDX is in
`report_cyclonedx` (it imports cyclonedx-python-lib, which is slow to load)."""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from typing import Any

from dockopt import __version__
from dockopt.findings import Severity
from dockopt.report.output import dump_json
from dockopt.vuln.db import FeedStatus
from dockopt.vuln.ignore import Ignored
from dockopt.vuln.match import Match
from dockopt.units import plural

JSON_SCHEMA_VERSION = 1


@dataclass
class ScanReport:
    target: str
    """What was scanned: the SBOM path or the image reference."""
    packages: int
    matches: list[Match]
    ignored: list[Ignored] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    db_path: str = ""
    feeds: list[FeedStatus] = field(default_factory=list)
    package_list: list = field(default_factory=list)
    """All packages scanned (the CycloneDX output lists them as components)."""

    def findings(self) -> list:
        """The matches as `Finding`s, for policy gates and the shared renderers."""
        return [m.to_finding() for m in self.matches]

    def counts(self) -> dict[str, int]:
        out = {str(s): 0 for s in sorted(Severity, reverse=True)}
        for match in self.matches:
            out[str(match.severity)] += 1
        return out


def render_json(report: ScanReport) -> str:
    return dump_json({
        "schema_version": JSON_SCHEMA_VERSION,
        "tool": {"name": "dockopt", "version": __version__},
        "target": report.target,
        "database": {"path": report.db_path,
                     "feeds": [{"name": f.name, "as_of": f.as_of, "records": f.records} for f in report.feeds]},
        "summary": {"packages": report.packages, "vulnerabilities": len(report.matches),
                    "by_severity": report.counts(), "ignored": len(report.ignored)},
        "matches": [m.to_dict() for m in report.matches],
        "ignored": [{**i.match.to_dict(), "ignore": {"id": i.rule.id, "reason": i.rule.reason,
                                                     "expires": str(i.rule.expires) if i.rule.expires else None}}
                    for i in report.ignored],
        "notes": report.notes,
    })


def render_table(report: ScanReport, color: bool = False, width: int | None = None) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    width = width or 160
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width)
    styles = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
    if report.matches and width < 100:  # narrow: identifiers on one line, the rest indented below
        from rich.markup import escape

        for m in report.matches:
            sev = str(m.severity)
            ident = m.record_id + "".join(f" ({a})" for a in m.aliases[:1] if a.startswith("CVE-")
                                          and not m.record_id.startswith("CVE-"))
            console.print(f"[{styles.get(sev, '')}]{sev:<9}[/]{escape(ident)}", highlight=False)
            detail = f"{m.package.name} {m.package.version}, fixed in {m.fixed_version or '-'}: {m.summary or ''}"
            console.print(escape(textwrap.fill(detail, width, initial_indent="    ", subsequent_indent="    ",
                                               break_on_hyphens=False)), highlight=False)
    elif report.matches:
        rows = []
        for m in report.matches:
            ident = m.record_id
            cves = [a for a in m.aliases if a.startswith("CVE-")]
            if cves and not ident.startswith("CVE-"):
                ident += f" ({cves[0]})"
            rows.append((str(m.severity), ident, m.package.name, m.package.version, m.fixed_version or "-",
                         m.summary or ""))
        table = Table(show_edge=False, pad_edge=False, header_style="bold", box=None)
        headers = ("SEVERITY", "ID", "PACKAGE", "INSTALLED", "FIXED IN")
        for index, column in enumerate(headers):
            # Identifiers are never cut; the summary takes what room is left.
            table.add_column(column, no_wrap=True,
                             min_width=max(len(column), *(len(row[index]) for row in rows)))
        table.add_column("SUMMARY", overflow="ellipsis", no_wrap=True, min_width=10)
        for row in rows:
            table.add_row(*row, style=styles.get(row[0]) if color else None)
        console.print(table)
    counts = ", ".join(f"{n} {s}" for s, n in report.counts().items() if n)
    line = (f"{plural(len(report.matches), 'vulnerability', 'vulnerabilities')} ({counts}) in "
            f"{plural(report.packages, 'package')}"
            if report.matches else f"no known vulnerabilities in {plural(report.packages, 'package')}")
    if report.ignored:
        line += f"; {len(report.ignored)} ignored"
    console.print(line, highlight=False)
    return buffer.getvalue()


SARIF_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
               Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning reads `security-severity` (a CVSS-like number) to rank alerts.
SEVERITY_NUMBER = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                   Severity.LOW: "2.0", Severity.INFO: "0.0"}


def render_sarif(report: ScanReport) -> str:
    rules: dict[str, dict[str, Any]] = {}
    rule_index: dict[str, int] = {}
    results = []
    for m in report.matches:
        if m.record_id not in rules:
            rule: dict[str, Any] = {
                "id": m.record_id,
                "name": m.record_id.replace("-", ""),
                "shortDescription": {"text": m.summary or m.record_id},
                "fullDescription": {"text": (m.summary or m.record_id) +
                                    (f" (aliases: {', '.join(m.aliases)})" if m.aliases else "")},
                "defaultConfiguration": {"level": SARIF_LEVEL[m.severity]},
                "properties": {"security-severity": f"{m.cvss_score:.1f}" if m.cvss_score is not None
                               else SEVERITY_NUMBER[m.severity],
                               "tags": ["security", "vulnerability"]},
            }
            if m.references:
                rule["helpUri"] = m.references[0]
            rule_index[m.record_id] = len(rules)
            rules[m.record_id] = rule
        layer, path = m.package.locations[0] if m.package.locations else ("", "")
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": {"uri": path.lstrip("/") if path else report.target}},
            "logicalLocations": [{"name": m.package.purl or f"{m.package.name}@{m.package.version}",
                                  "kind": "package"}],
        }
        results.append({
            "ruleId": m.record_id,
            "ruleIndex": rule_index[m.record_id],
            "level": SARIF_LEVEL[m.severity],
            "message": {"text": f"{m.package.name} {m.package.version} is affected by {m.record_id}"
                                + (f"; fixed in {m.fixed_version}" if m.fixed_version else "; no fix yet")
                                + f". {m.explanation()}."},
            "locations": [location],
            "partialFingerprints": {"packageVulnerability": f"{m.package.purl or m.package.name}|{m.record_id}"},
            "properties": {"severity": str(m.severity), "fixedVersion": m.fixed_version,
                           "layer": layer or None},
        })
    return dump_json({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "dockopt", "version": __version__, "rules": list(rules.values())}},
            "results": results,
        }],
    })
