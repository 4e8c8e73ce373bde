"""CycloneDX 1.6 JSON, built with cyclonedx-python-lib: one component per package, each with its purl."""

from __future__ import annotations

from dockopt import __version__
from dockopt.catalog.catalog import Catalog
from dockopt.catalog.licenses import is_spdx
from dockopt.catalog.model import Package


def _licenses(p: Package):
    from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
    from cyclonedx.spdx import is_supported_id

    if not p.licenses:
        return []
    if all(is_spdx(x) and not x.startswith("LicenseRef-") for x in p.licenses):
        if len(p.licenses) == 1 and is_supported_id(p.licenses[0]):
            return [DisjunctiveLicense(id=p.licenses[0])]
        # Several licenses from one package (e.g. files of a Debian package under different licenses): all apply.
        joined = " AND ".join(f"({x})" if " " in x else x for x in p.licenses)
        return [LicenseExpression(joined)]
    return [DisjunctiveLicense(id=x) if is_supported_id(x) else DisjunctiveLicense(name=x) for x in p.licenses]


def to_cyclonedx(catalog: Catalog) -> str:
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.tool import ToolRepository
    from cyclonedx.output.json import JsonV1Dot6
    from packageurl import PackageURL

    image = catalog.image
    subject = Component(type=ComponentType.CONTAINER, name=image.repo_tags[0] if image.repo_tags else image.reference,
                        version=image.config_digest or None, bom_ref="image")
    tool = Component(type=ComponentType.APPLICATION, name="dockopt", version=__version__, bom_ref="dockopt")
    bom = Bom()
    bom.metadata.component = subject
    bom.metadata.tools = ToolRepository(components=[tool])
    if catalog.distro.id:
        bom.metadata.properties.add(Property(name="dockopt:distro",
                                             value=f"{catalog.distro.id} {catalog.distro.version_id or ''}".strip()))
    used: set[str] = set()
    for p in catalog.packages:
        ref = p.purl or f"{p.type}:{p.name}@{p.version}"
        n, unique = 1, ref
        while unique in used:
            n += 1
            unique = f"{ref}#{n}"
        used.add(unique)
        props = [Property(name="dockopt:package:type", value=p.type)]
        for diff_id, path in p.locations:
            props.append(Property(name="dockopt:location:layer", value=diff_id))
            props.append(Property(name="dockopt:location:path", value=path))
        if p.from_base is not None:
            props.append(Property(name="dockopt:from-base", value=str(p.from_base).lower()))
        if p.source_name and p.source_name != p.name:
            props.append(Property(name="dockopt:source-package", value=p.source_name))
        if p.found_by:
            props.append(Property(name="dockopt:found-by", value=p.found_by))
        for other in p.cpes[1:]:  # CycloneDX has one `cpe` per component
            props.append(Property(name="dockopt:cpe23", value=other))
        group, name = (p.name.split(":", 1) if p.type == "java" and ":" in p.name else (None, p.name))
        component = Component(name=name, group=group, version=p.version, bom_ref=unique,
                              purl=PackageURL.from_string(p.purl) if p.purl else None,
                              cpe=p.cpes[0] if p.cpes else None,
                              licenses=_licenses(p), properties=props)
        bom.components.add(component)
        bom.register_dependency(subject, [component])
    return JsonV1Dot6(bom).output_as_string(indent=2) + "\n"
