"""SPDX 2.3 JSON, written directly: the image is the described package and CONTAINS every other.

Licenses that are not SPDX expressions become `LicenseRef-` identifiers declared in
`hasExtractedLicensingInfos`, so the document stays valid without losing what the package said.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timezone

from dockopt import __version__
from dockopt.catalog.catalog import Catalog
from dockopt.catalog.licenses import is_spdx
from dockopt.catalog.model import Package

NOASSERTION = "NOASSERTION"


def _spdx_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.\-]+", "-", text).strip("-")[:120]


class _Licenses:
    def __init__(self) -> None:
        self.extracted: dict[str, str] = {}

    def ref(self, text: str) -> str:
        if is_spdx(text) and "LicenseRef-" not in text:
            return text
        if re.fullmatch(r"LicenseRef-[A-Za-z0-9.\-]+", text):
            ident = text
        else:
            ident = "LicenseRef-" + (_spdx_id(text) or "unknown") + "-" + hashlib.sha256(text.encode()).hexdigest()[:8]
        self.extracted.setdefault(ident, text)
        return ident

    def declared(self, p: Package) -> str:
        if not p.licenses:
            return NOASSERTION
        parts = [self.ref(x) for x in p.licenses]
        return parts[0] if len(parts) == 1 else " AND ".join(f"({x})" if " " in x else x for x in parts)


def to_spdx(catalog: Catalog, created: datetime | None = None) -> dict:
    image = catalog.image
    name = image.repo_tags[0] if image.repo_tags else image.reference
    created = created or datetime.now(timezone.utc)
    licenses = _Licenses()
    image_id = "SPDXRef-Image"
    packages = [{
        "SPDXID": image_id, "name": name, "versionInfo": image.config_digest or NOASSERTION,
        "downloadLocation": NOASSERTION, "filesAnalyzed": False, "primaryPackagePurpose": "CONTAINER",
        "licenseConcluded": NOASSERTION, "licenseDeclared": NOASSERTION, "copyrightText": NOASSERTION,
    }]
    relationships = [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": image_id}]
    used: set[str] = set()
    for p in catalog.packages:
        base_id = "SPDXRef-Package-" + _spdx_id(f"{p.type}-{p.name}-{p.version}")
        ident, n = base_id, 1
        while ident in used:
            n += 1
            ident = f"{base_id}-{n}"
        used.add(ident)
        entry = {
            "SPDXID": ident, "name": p.name, "versionInfo": p.version, "downloadLocation": NOASSERTION,
            "filesAnalyzed": False, "licenseConcluded": NOASSERTION, "licenseDeclared": licenses.declared(p),
            "copyrightText": NOASSERTION, "primaryPackagePurpose": "LIBRARY",
            "sourceInfo": "found in " + ", ".join(f"{path} (layer {diff})" for diff, path in p.locations),
        }
        refs = [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl}] \
            if p.purl else []
        refs += [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": c} for c in p.cpes]
        if refs:
            entry["externalRefs"] = refs
        packages.append(entry)
        relationships.append({"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": ident})
    doc = {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": name,
        "documentNamespace": f"https://dockopt.invalid/spdx/{_spdx_id(name)}-{uuid.uuid4()}",
        "creationInfo": {"created": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "creators": [f"Tool: dockopt-{__version__}"]},
        "packages": packages, "relationships": relationships,
    }
    if licenses.extracted:
        doc["hasExtractedLicensingInfos"] = [{"licenseId": k, "extractedText": v, "name": v[:100]}
                                             for k, v in licenses.extracted.items()]
    return doc
