"""Which packages of an SBOM an OS package installed, so that `scan --sbom` treats them as
`scan IMAGE` does (matched through the OS package unless --match-owned).

CycloneDX (dockopt): the component's `dockopt:owned-by` property names the owner's purl.
SPDX: a CONTAINS relationship from an OS package (dockopt), or syft's OTHER relationship whose
comment starts with `ownership-by-file-overlap`, from the owner to the owned package.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from packageurl import PackageURL

from dockopt.catalog.model import Package

_OS_PURL_TYPES = ("deb", "apk", "rpm")


def _purl_type(purl: str) -> str | None:
    try:
        return PackageURL.from_string(purl).type
    except ValueError:
        return None


def _cyclonedx_owners(data: dict[str, Any]) -> dict[str, str]:
    owners: dict[str, str] = {}
    stack = list(data.get("components") or [])
    while stack:
        component = stack.pop()
        if not isinstance(component, dict):
            continue
        stack.extend(component.get("components") or [])
        for prop in component.get("properties") or []:
            if isinstance(prop, dict) and prop.get("name") == "dockopt:owned-by" and isinstance(component.get("purl"), str):
                owners[component["purl"]] = str(prop.get("value", ""))
    return owners


def _spdx_owners(data: dict[str, Any]) -> dict[str, str]:
    purl_of: dict[str, str] = {}
    for entry in data.get("packages") or []:
        if isinstance(entry, dict):
            for ref in entry.get("externalRefs") or []:
                if isinstance(ref, dict) and ref.get("referenceType") == "purl" and isinstance(ref.get("referenceLocator"), str):
                    purl_of.setdefault(str(entry.get("SPDXID")), ref["referenceLocator"])
                    break
    owners: dict[str, str] = {}
    for rel in data.get("relationships") or []:
        if not isinstance(rel, dict):
            continue
        kind = rel.get("relationshipType")
        ownership = kind == "CONTAINS" or (kind == "OTHER" and str(rel.get("comment", "")).startswith("ownership-by-file-overlap"))
        owner, owned = purl_of.get(str(rel.get("spdxElementId"))), purl_of.get(str(rel.get("relatedSpdxElement")))
        if ownership and owner and owned and _purl_type(owner) in _OS_PURL_TYPES and _purl_type(owned) not in _OS_PURL_TYPES:
            owners.setdefault(owned, owner)
    return owners


def mark_sbom_owned(packages: list[Package], data: dict[str, Any]) -> None:
    """Set `owned_by` in place on the packages the document says an OS package installed."""
    owners = _cyclonedx_owners(data) if data.get("bomFormat") == "CycloneDX" else _spdx_owners(data)
    if not owners:
        return
    for i, p in enumerate(packages):
        owner = owners.get(p.purl or "")
        if owner and _purl_type(p.purl or "") not in _OS_PURL_TYPES:
            packages[i] = replace(p, owned_by=owner)
