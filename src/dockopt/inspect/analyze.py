"""`analyze`: one pass over an image, then waste, base attribution, gates and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from dockopt.findings import Category, Finding, Location, Severity
from dockopt.image.model import Image
from dockopt.image.scan import Progress, ScanResult, Source, Visitor, scan_image
from dockopt.inspect.base import BaseInfo, base_of
from dockopt.inspect.checks import FAMILIES, ImageCheck, layer_label
from dockopt.inspect.gates import Gates, gate_findings
from dockopt.inspect.waste import WasteReport, compute_waste
from dockopt.units import human_bytes


@dataclass
class AnalyzeResult:
    scan: ScanResult
    base: BaseInfo
    waste: WasteReport
    gates: list[tuple[str, str, bool]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=lambda: list(FAMILIES))
    """The check families that ran (`--checks`)."""

    @property
    def image(self) -> Image:
        return self.scan.image

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.gates)


def waste_findings(result: ScanResult, waste: WasteReport, base_layers: int = 0) -> list[Finding]:
    by_index = {scan.layer.index: scan.layer for scan in result.layers}
    out = []
    for h in waste.top:
        severity = Severity.MEDIUM if h.size >= 10_000_000 else Severity.LOW if h.size >= 1_000_000 else Severity.INFO
        added = by_index[h.added_in]
        verb = "deleted" if h.how == "deleted" else "replaced"
        where = "in the same layer" if h.added_in == h.hidden_in else f"in {layer_label(result, h.hidden_in, base_layers)}"
        out.append(Finding(
            rule_id="waste.file", severity=severity, category=Category.SIZE, title="file stored but not in the final image",
            message=(f"{h.path} ({human_bytes(h.size)}) added in {layer_label(result, h.added_in, base_layers)} "
                     f"is {verb} {where}; do both in one RUN or use a multi-stage build"),
            location=Location(layer_index=h.added_in, layer_digest=added.diff_id, path=h.path),
            estimated_bytes=h.size, details={"hidden_in": h.hidden_in, "how": h.how}))
    return out


def analyze_image(source: Source, base: Source | None = None, gates: Gates = Gates(), top: int = 10,
                  visitors: Sequence[Visitor] = (), progress: Progress | None = None,
                  checks: Sequence[str] = FAMILIES, settings: dict | None = None) -> AnalyzeResult:
    """`checks` selects the finding families (see inspect.checks.FAMILIES); their visitors ride
    on the same single pass as `visitors`."""
    from dockopt.inspect.checks import make_checks

    image_checks: list[ImageCheck] = make_checks(checks, settings)
    base_image = base.metadata() if base is not None else None
    # The layer digests finish computing while the findings are worked out; they are checked
    # before anything is returned.
    scan = scan_image(source, [*visitors, *image_checks], progress, verify=False)
    try:
        info = base_of(source, scan.image, base_image)
        waste = compute_waste(scan, info.layers, top)
        results = gates.evaluate(waste)
        findings = (waste_findings(scan, waste, info.layers) if "waste" in checks else []) + gate_findings(results)
        for check in image_checks:
            findings.extend(check.findings(scan, info.layers))
        findings.sort(key=lambda f: (-f.severity, f.rule_id, f.location.layer_index or 0))
        scan.verify()
    finally:
        scan.close()
    return AnalyzeResult(scan, info, waste, results, findings, [c for c in FAMILIES if c in checks])
