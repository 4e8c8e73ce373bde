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
from dockopt.inspect.base import BaseInfo, detect_base


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
    from dockopt.inspect.analyze import _engine_layer_lists, _resolver

    visitor = CatalogVisitor()
    base_image = base.metadata() if base is not None else None
    scan = scan_image(source, [visitor, *extra_visitors], progress)
    engine_lists = _engine_layer_lists(source)
    info = detect_base(scan.image, base_image, _resolver(source),
                       (lambda: engine_lists) if engine_lists is not None else None)
    packages = attribute(visitor.packages, [layer.diff_id for layer in scan.image.layers], info.layers)
    packages = sorted(set(packages), key=sort_key)
    return Catalog(scan.image, packages, visitor.distro, info, visitor.notes, scan)


def catalog_packages(source: Source) -> list[Package]:
    """The packages of an image (for the vulnerability matcher)."""
    return catalog_image(source).packages
