"""Renderers for `analyze`: a terminal report and the versioned JSON document (docs/analyze-json.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dockopt import __version__
from dockopt.inspect.analyze import AnalyzeResult
from dockopt.report.output import human_bytes
from dockopt.report.layout import NARROW, indented, shorten_middle
from dockopt.units import plural

if TYPE_CHECKING:
    from rich.console import Console

SCHEMA_VERSION = "1"


def analyze_json(result: AnalyzeResult) -> dict[str, Any]:
    image, waste = result.image, result.waste
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "dockopt", "version": __version__},
        "image": {
            "reference": image.reference, "source": image.source, "id": image.id,
            "manifest_digest": image.manifest_digest, "platform": str(image.platform),
            "repo_tags": image.repo_tags, "layers": len(image.layers),
        },
        "base": {"layers": result.base.layers, "method": result.base.method, "name": result.base.name},
        "summary": {
            "total_bytes": waste.total_bytes, "final_bytes": waste.final_bytes, "wasted_bytes": waste.wasted_bytes,
            "efficiency": round(waste.efficiency, 6), "user_bytes": waste.user_bytes,
            "user_wasted_bytes": waste.user_wasted_bytes, "user_wasted_percent": round(waste.user_wasted_ratio, 6),
            "base_bytes_hidden_by_user": waste.base_bytes_hidden_by_user,
            "final_files": sum(1 for _ in result.scan.fs.files()),
        },
        "layers": [
            {"index": lw.index, "diff_id": scan.layer.diff_id, "digest": scan.layer.digest, "blob_size": lw.blob_size,
             "created_by": lw.created_by, "files": lw.files, "bytes": lw.bytes, "added_bytes": lw.added_bytes,
             "modified_bytes": lw.modified_bytes, "removed_bytes": lw.removed_bytes, "wasted_bytes": lw.wasted_bytes,
             "from_base": lw.from_base}
            for lw, scan in zip(waste.layers, result.scan.layers)
        ],
        "wasted_paths": [{"path": h.path, "size": h.size, "added_in": h.added_in, "hidden_in": h.hidden_in, "how": h.how}
                         for h in waste.top],
        "gates": [{"name": name, "passed": ok, "detail": why} for name, why, ok in result.gates],
        "checks": result.checks,
        "findings": [f.to_dict() for f in result.findings],
        "passed": result.passed,
    }


def render_analyze(result: AnalyzeResult, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table  # rich loads only for the terminal report

    image, waste = result.image, result.waste
    console.print(f"[bold]{image.reference}[/]  {image.platform}  id {(image.id or '?')[7:19]}  "
                  f"{len(image.layers)} layers")
    base = result.base
    console.print(f"base image: {plural(base.layers, 'layer')} ({base.method}{', ' + base.name if base.name else ''})")
    table = Table(title="Layers (b = base image)", title_justify="left", expand=True)
    for col in ("#", "stored", "files", "wasted", "deletes", "created by"):
        wide = col == "created by"
        table.add_column(col, justify="left" if wide else "right", no_wrap=True, overflow="ellipsis",
                         ratio=1 if wide else None, min_width=20 if wide else None)
    for lw in waste.layers:
        table.add_row(f"{lw.index}{' b' if lw.from_base else ''}", human_bytes(lw.bytes), str(lw.files),
                      f"[red]{human_bytes(lw.wasted_bytes)}[/]" if lw.wasted_bytes else "0",
                      human_bytes(lw.removed_bytes) if lw.removed_bytes else "0", lw.created_by or "")
    console.print(table)
    if waste.top:
        top = Table(title="Largest wasted files", title_justify="left")
        for col in ("size", "path", "added in", "hidden in", "how"):
            top.add_column(col, justify="right" if col == "size" else "left", no_wrap=True)
        room = max(16, console.width - 52)  # what the other columns and the borders leave
        for h in waste.top:
            top.add_row(human_bytes(h.size), escape(shorten_middle(h.path, room)), str(h.added_in), str(h.hidden_in),
                        h.how)
        console.print(top)
    console.print(
        f"stored {human_bytes(waste.total_bytes)}, final {human_bytes(waste.final_bytes)}, "
        f"wasted [bold]{human_bytes(waste.wasted_bytes)}[/], efficiency [bold]{waste.efficiency:.2%}[/]; "
        f"your layers: {human_bytes(waste.user_bytes)}, wasted {human_bytes(waste.user_wasted_bytes)} "
        f"({waste.user_wasted_ratio:.2%})")
    if waste.base_bytes_hidden_by_user:
        console.print(f"your layers delete {human_bytes(waste.base_bytes_hidden_by_user)} of base-image files: "
                      "they still ship in the base layers")
    for name, why, ok in result.gates:
        console.print(f"{'[green]PASS[/]' if ok else '[red]FAIL[/]'} {name}: {why}")
    render_findings(result, console)


SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render_findings(result: AnalyzeResult, console: Console) -> None:
    """One row per finding, worst first; messages carry only redacted values."""
    from rich.markup import escape
    from rich.table import Table

    findings = [f for f in result.findings if not f.rule_id.startswith("gate.")]
    if not findings:
        console.print("findings: none")
        return
    if console.width < NARROW:  # a message per row would wrap into a tall thin column: own lines instead
        console.print(f"Findings ({len(findings)})", style="italic")
        for f in findings:
            sev = str(f.severity)
            where = "" if f.location.layer_index is None else f"  layer {f.location.layer_index}"
            size = f"  {human_bytes(f.estimated_bytes)}" if f.estimated_bytes else ""
            console.print(f"[{SEVERITY_STYLE[sev]}]{sev:<8}[/] {escape(f.rule_id)}{where}{size}", highlight=False)
            for line in indented(f.message, console.width):
                console.print(escape(line), highlight=False, soft_wrap=True)
    else:
        table = Table(title=f"Findings ({len(findings)})", title_justify="left")
        table.add_column("severity")
        table.add_column("rule", no_wrap=True)
        table.add_column("layer", justify="right")
        table.add_column("bytes", justify="right")
        table.add_column("finding", overflow="fold")
        for f in findings:
            sev = str(f.severity)
            table.add_row(f"[{SEVERITY_STYLE[sev]}]{sev}[/]", f.rule_id,
                          "" if f.location.layer_index is None else str(f.location.layer_index),
                          human_bytes(f.estimated_bytes) if f.estimated_bytes else "", escape(f.message))
        console.print(table)
    counts = {}
    for f in findings:
        counts[str(f.severity)] = counts.get(str(f.severity), 0) + 1
    console.print("findings: " + ", ".join(f"{counts[s]} {s}" for s in SEVERITY_STYLE if s in counts))
