"""The cataloging core: image source -> packages, in the one streaming pass.

`catalog_image` is what `dockopt sbom` (and `dockopt scan`) call; `CatalogVisitor` can also
join another command's pass (e.g. analyze) so the layers are still read only once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from dockopt.catalog.core import CatalogVisitor, Distro, attribute
from dockopt.catalog.model import Package
from dockopt.image.model import Image
from dockopt.image.scan import Progress, ScanResult, Source, Visitor, scan_image
from dockopt.inspect.base import BaseInfo, base_of


@dataclass
class Catalog:
    image: Image
    packages: list[Package]
    distro: Distro
    base: BaseInfo
    notes: list[str] = field(default_factory=list)
    scan: ScanResult | None = None


def sort_key(p: Package) -> tuple:
    return (p.type, p.name.lower(), p.version, p.locations)


def catalog_image(source: Source, base: Source | None = None, progress: Progress | None = None,
                  extra_visitors: Sequence[Visitor] = ()) -> Catalog:
    visitor = CatalogVisitor()
    base_image = base.metadata() if base is not None else None
    scan = scan_image(source, [visitor, *extra_visitors], progress)
    info = base_of(source, scan.image, base_image)
    packages = attribute(visitor.packages, [layer.diff_id for layer in scan.image.layers], info.layers)
    packages = sorted(set(packages), key=sort_key)
    return Catalog(scan.image, packages, visitor.distro, info, visitor.notes, scan)


def catalog_packages(source: Source) -> list[Package]:
    """The packages of an image (for the vulnerability matcher)."""
    return catalog_image(source).packages
