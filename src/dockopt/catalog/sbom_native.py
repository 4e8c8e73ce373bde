"""dockopt's own JSON and the terminal table."""

from __future__ import annotations

from collections import Counter

from dockopt.catalog.catalog import Catalog

SCHEMA_VERSION = 1


def to_json(catalog: Catalog) -> dict:
    image = catalog.image
    return {
        "schema_version": SCHEMA_VERSION,
        "image": {"reference": image.reference, "id": image.config_digest, "tags": image.repo_tags,
                  "platform": str(image.platform)},
        "distro": {"id": catalog.distro.id, "version_id": catalog.distro.version_id,
                   "pretty_name": catalog.distro.pretty_name},
        "base": {"layers": catalog.base.layers, "method": catalog.base.method, "name": catalog.base.name},
        "summary": dict(sorted(Counter(p.type for p in catalog.packages).items())),
        "packages": [{
            "name": p.name, "version": p.version, "type": p.type, "purl": p.purl, "licenses": list(p.licenses),
            "source_name": p.source_name, "source_version": p.source_version, "cpes": list(p.cpes),
            "found_by": p.found_by,
            "locations": [{"layer": d, "path": path} for d, path in p.locations], "from_base": p.from_base,
        } for p in catalog.packages],
        "notes": catalog.notes,
    }


def render_table(catalog: Catalog, console) -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("NAME", "VERSION", "TYPE", "LICENSES", "FROM"):
        table.add_column(col, overflow="fold")
    for p in catalog.packages:
        origin = "base" if p.from_base else "user" if p.from_base is False else "?"
        table.add_row(p.name, p.version, p.type, " AND ".join(p.licenses) if len(p.licenses) < 4
                      else f"{' AND '.join(p.licenses[:3])} …", origin)
    console.print(table)
    counts = ", ".join(f"{n} {t}" for t, n in sorted(Counter(p.type for p in catalog.packages).items()))
    distro = catalog.distro.pretty_name or catalog.distro.id or "unknown distro"
    console.print(f"{len(catalog.packages)} packages ({counts or 'none'}) in {catalog.image.reference}, {distro}")
    for note in catalog.notes:
        console.print(f"note: {note}", style="yellow")
