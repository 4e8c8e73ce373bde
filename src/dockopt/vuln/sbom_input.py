"""Packages from an SBOM: CycloneDX JSON or SPDX JSON, by the package URLs they carry."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from dockopt.catalog.model import Package
from dockopt.errors import InputError
from dockopt.safeload import load_json, read_regular_file
from dockopt.shape import AnyValue, ListOf, Obj, Str, check
from dockopt.vuln.ecosystems import PURL_TYPES

MAX_SBOM = 256 << 20
"""Largest SBOM read: SBOMs of large images run to tens of megabytes; this bounds one read."""

# The fields read below, in the shapes CycloneDX 1.x and SPDX 2.x give them. A document whose
# package list is not a list would otherwise scan as "0 packages, 0 vulnerabilities".
CDX_LICENSE = Obj({"expression": Str(), "license": Obj({"id": Str(), "name": Str()})})
CDX_COMPONENT = Obj({"type": Str(), "name": Str(), "version": Str(), "purl": Str(), "licenses": ListOf(CDX_LICENSE),
                     "properties": ListOf(Obj({"name": Str(), "value": AnyValue()}))})
CDX_COMPONENT.fields["components"] = ListOf(CDX_COMPONENT)  # components nest (depth is capped by safeload)
CYCLONEDX = Obj({"bomFormat": Str(), "specVersion": Str(), "components": ListOf(CDX_COMPONENT),
                 "metadata": Obj({"component": CDX_COMPONENT})})
SPDX = Obj({"spdxVersion": Str(), "packages": ListOf(Obj({
    "name": Str(), "versionInfo": Str(), "licenseConcluded": Str(), "licenseDeclared": Str(),
    "externalRefs": ListOf(Obj({"referenceCategory": Str(), "referenceType": Str(), "referenceLocator": Str()})),
}))})


class SbomPackages(list):
    """A list of packages plus what could not be used."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped = 0
        self.format = ""


def _split_distro(text: str | None) -> tuple[str | None, str | None]:
    """`debian-12` / `alpine-3.19.1` / `ubuntu-22.04` (syft's purl `distro` qualifier)."""
    if not text:
        return None, None
    distro, sep, version = text.partition("-")
    if sep and version[:1].isdigit():
        return distro.lower(), version
    if text[:1].isdigit():  # some tools write only the version
        return None, text
    return text.lower(), None


def package_from_purl(purl_text: str, *, licenses: tuple[str, ...] = (),
                      locations: tuple[tuple[str, str], ...] = (),
                      default_distro: tuple[str | None, str | None] = (None, None)) -> Package | None:
    """A Package for a purl of a supported type; None for other types."""
    try:
        purl = PackageURL.from_string(purl_text)
    except ValueError:
        return None
    kind = PURL_TYPES.get(purl.type)
    if kind is None or not purl.version:
        return None
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    name = purl.name
    version = purl.version
    source_name = source_version = None
    distro_id = distro_version = None
    if kind == "java" and purl.namespace:
        name = f"{purl.namespace}:{purl.name}"
    elif kind in ("npm", "go", "composer") and purl.namespace:  # composer: vendor/name, as Packagist names it
        name = f"{purl.namespace}/{purl.name}"
    if kind in ("deb", "apk", "rpm"):
        distro_id, distro_version = _split_distro(qualifiers.get("distro"))
        distro_id = distro_id or default_distro[0] or (purl.namespace or "").lower() or None
        if distro_version is None and default_distro[0] in (None, distro_id):
            distro_version = default_distro[1]
        if kind == "rpm" and qualifiers.get("epoch") and ":" not in version:
            version = f"{qualifiers['epoch']}:{version}"
        upstream = qualifiers.get("upstream")
        if upstream and kind != "rpm":
            source_name, _, source_version = upstream.partition("@")
            source_version = source_version or None
    return Package(name=name, version=version, type=kind, purl=purl_text, licenses=licenses,
                   source_name=source_name, source_version=source_version, distro_id=distro_id,
                   distro_version=distro_version, locations=locations)


def _read_sbom_bytes(path: Path) -> bytes:
    if str(path) != "-":
        return read_regular_file(path, "SBOM", MAX_SBOM)
    data = sys.stdin.buffer.read(MAX_SBOM + 1)
    if len(data) > MAX_SBOM:
        raise InputError(f"the SBOM on standard input is too large (over {MAX_SBOM} bytes)")
    return data


def read_sbom(path: Path) -> SbomPackages:
    """Packages of a CycloneDX or SPDX JSON file (`-` reads standard input)."""
    name = "stdin" if str(path) == "-" else str(path)
    try:
        raw = _read_sbom_bytes(path)
    except OSError as exc:
        raise InputError(f"cannot read SBOM {path}: {exc.strerror or exc}") from None
    data = load_json(raw, f"SBOM {name}", max_bytes=MAX_SBOM)
    if isinstance(data, dict) and data.get("bomFormat") == "CycloneDX":
        check(data, CYCLONEDX, f"SBOM {name}")
        return _with_owners(_from_cyclonedx(data), data)
    if isinstance(data, dict) and str(data.get("spdxVersion", "")).startswith("SPDX-"):
        check(data, SPDX, f"SBOM {name}")
        return _with_owners(_from_spdx(data), data)
    raise InputError(f"{path} is neither a CycloneDX JSON nor an SPDX JSON document")


def _with_owners(packages: SbomPackages, data: dict[str, Any]) -> SbomPackages:
    from dockopt.vuln.sbom_ownership import mark_sbom_owned

    mark_sbom_owned(packages, data)
    return packages


def _cdx_licenses(component: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for entry in component.get("licenses") or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("expression"):
            out.append(str(entry["expression"]))
        lic = entry.get("license") or {}
        if isinstance(lic, dict) and (lic.get("id") or lic.get("name")):
            out.append(str(lic.get("id") or lic.get("name")))
    return tuple(out)


# Files that record a package's installation: the best evidence to point a user at.
_EVIDENCE = ("/var/lib/dpkg/status", "/lib/apk/db/installed", "/var/lib/rpm/", "/usr/lib/sysimage/rpm/",
             ".dist-info/", ".egg-info", "/package.json", ".jar", "/var/lib/dpkg/status.d/")


def _cdx_locations(component: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    paths: dict[int, dict[str, str]] = {}
    for prop in component.get("properties") or []:
        name = prop.get("name") or ""
        # syft: syft:location:0:path, syft:location:0:layerID; dockopt: dockopt:location:0:…
        parts = name.split(":")
        if len(parts) == 4 and parts[1] == "location" and parts[2].isdigit():
            paths.setdefault(int(parts[2]), {})[parts[3]] = str(prop.get("value", ""))
    locations = [(p.get("layerID", p.get("layer", "")), p["path"]) for _, p in sorted(paths.items()) if "path" in p]
    # The package database entry first (syft lists a copyright file first for dpkg packages).
    locations.sort(key=lambda loc: not any(marker in loc[1] for marker in _EVIDENCE))
    return tuple(locations)


def _walk_components(components: list[Any]):
    for component in components or []:
        if isinstance(component, dict):
            yield component
            yield from _walk_components(component.get("components") or [])


def _from_cyclonedx(data: dict[str, Any]) -> SbomPackages:
    result = SbomPackages()
    result.format = f"CycloneDX {data.get('specVersion', '')}".strip()
    components = list(_walk_components(data.get("components") or []))
    meta = (data.get("metadata") or {}).get("component")
    default_distro: tuple[str | None, str | None] = (None, None)
    for component in components + ([meta] if isinstance(meta, dict) else []):
        if component.get("type") == "operating-system":
            default_distro = (str(component.get("name", "")).lower() or None, component.get("version"))
            break
    for component in components:
        if component.get("type") == "operating-system":
            continue
        purl = component.get("purl")
        package = package_from_purl(purl, licenses=_cdx_licenses(component), locations=_cdx_locations(component),
                                    default_distro=default_distro) if purl else None
        if package is None:
            result.skipped += 1
        else:
            result.append(package)
    return result


def _from_spdx(data: dict[str, Any]) -> SbomPackages:
    result = SbomPackages()
    result.format = str(data.get("spdxVersion"))
    for entry in data.get("packages") or []:
        if not isinstance(entry, dict):
            continue
        purls = [ref.get("referenceLocator") for ref in entry.get("externalRefs") or []
                 if isinstance(ref, dict) and ref.get("referenceType") == "purl"]
        licenses = tuple(str(entry[k]) for k in ("licenseConcluded", "licenseDeclared")
                         if entry.get(k) and entry[k] not in ("NOASSERTION", "NONE"))[:1]
        package = package_from_purl(purls[0], licenses=licenses) if purls else None
        if package is None:
            result.skipped += 1
        else:
            result.append(package)
    return result
