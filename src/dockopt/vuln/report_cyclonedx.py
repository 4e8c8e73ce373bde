"""CycloneDX 1.6 JSON with vulnerabilities (VEX-style), built with cyclonedx-python-lib."""

from __future__ import annotations

from decimal import Decimal

from dockopt import __version__
from dockopt.findings import Severity
from dockopt.vuln.report import ScanReport


def render_cyclonedx(report: ScanReport) -> str:
    from cyclonedx.model import XsUri
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.impact_analysis import ImpactAnalysisState
    from cyclonedx.model.vulnerability import (BomTarget, BomTargetVersionRange, Vulnerability,
                                               VulnerabilityAdvisory, VulnerabilityAnalysis,
                                               VulnerabilityRating, VulnerabilityReference,
                                               VulnerabilityScoreSource,
                                               VulnerabilitySeverity, VulnerabilitySource)
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    severity_map = {Severity.CRITICAL: VulnerabilitySeverity.CRITICAL, Severity.HIGH: VulnerabilitySeverity.HIGH,
                    Severity.MEDIUM: VulnerabilitySeverity.MEDIUM, Severity.LOW: VulnerabilitySeverity.LOW,
                    Severity.INFO: VulnerabilitySeverity.INFO}
    bom = Bom()
    bom.metadata.component = Component(name=report.target, type=ComponentType.CONTAINER, bom_ref="scan-target")
    refs: dict[int, str] = {}
    packages = report.package_list or [m.package for m in report.matches]
    for index, package in enumerate(dict.fromkeys(packages)):
        ref = f"pkg-{index}"
        purl = None
        if package.purl:
            try:
                purl = PackageURL.from_string(package.purl)
            except ValueError:
                purl = None
        bom.components.add(Component(name=package.name, version=package.version, purl=purl, bom_ref=ref,
                                     type=ComponentType.LIBRARY))
        refs[hash(package)] = ref

    def add(match, analysis=None):
        ratings = []
        if match.cvss_score is not None:
            method = (VulnerabilityScoreSource.CVSS_V3_1 if (match.cvss_vector or "").startswith("CVSS:3.1")
                      else VulnerabilityScoreSource.CVSS_V3 if (match.cvss_vector or "").startswith("CVSS:3")
                      else VulnerabilityScoreSource.CVSS_V2)
            ratings.append(VulnerabilityRating(score=Decimal(f"{match.cvss_score:.1f}"),
                                               severity=severity_map[match.severity], method=method,
                                               vector=match.cvss_vector))
        else:
            ratings.append(VulnerabilityRating(severity=severity_map[match.severity],
                                               method=VulnerabilityScoreSource.OTHER))
        target = BomTarget(ref=refs[hash(match.package)],
                           versions=[BomTargetVersionRange(version=match.package.version)])
        vulnerability = Vulnerability(
            bom_ref=f"{match.record_id}/{refs[hash(match.package)]}",
            id=match.record_id,
            source=VulnerabilitySource(name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{match.record_id}")),
            description=match.summary, detail=match.explanation(),
            recommendation=f"Upgrade {match.package.name} to {match.fixed_version}" if match.fixed_version else None,
            ratings=ratings, affects=[target],
            advisories=[VulnerabilityAdvisory(url=XsUri(url)) for url in match.references[:3]],
            analysis=analysis,
            references=[VulnerabilityReference(id=alias, source=VulnerabilitySource(name="OSV"))
                        for alias in match.aliases],
        )
        bom.vulnerabilities.add(vulnerability)

    for match in report.matches:
        add(match)
    for item in report.ignored:
        # An ignore rule is the user's analysis: recorded as such, with its reason.
        add(item.match, VulnerabilityAnalysis(state=ImpactAnalysisState.NOT_AFFECTED,
                                              detail=f"ignored: {item.rule.reason}"))
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"
