"""`dockopt disk`: where the engine's disk space goes, and what each standard prune plan frees."""

from __future__ import annotations

from typing import Any

from dockopt.engine.plan import Protection, PrunePlan, Selection, make_plan
from dockopt.engine.sharing import image_sharing, repository_totals
from dockopt.engine.usage import EngineUsage

SCHEMA_VERSION = 1

# name -> (selection, description); the plans `dockopt prune` offers, measured on this engine.
STANDARD_PLANS: dict[str, tuple[Selection, str]] = {
    "dangling-images": (Selection(dangling=True), "dockopt prune --dangling"),
    "unused-images": (Selection(images=True), "dockopt prune --images"),
    "stopped-containers": (Selection(containers=True), "dockopt prune --containers"),
    "containers-and-images": (Selection(containers=True, images=True), "dockopt prune --containers --images"),
    "unused-volumes": (Selection(volumes=True), "dockopt prune --volumes"),
    "build-cache": (Selection(build_cache=True), "dockopt prune --build-cache"),
}


def engine_reclaimable_images(usage: EngineUsage) -> int:
    """The docker CLI's "RECLAIMABLE" for images (API < 1.52): LayersSize minus the unique bytes
    of images in use. It counts layers that in-use images share with others as reclaimable."""
    used = 0
    for image in usage.images.values():
        if any(c.image_id == image.id for c in usage.containers.values()) and image.engine_shared_size >= 0:
            used += image.size - image.engine_shared_size
    return usage.totals.layers_size - used


def disk_report(usage: EngineUsage, protection: Protection = Protection()) -> dict[str, Any]:
    """The whole report; the prune estimates honour the config's protections, as `prune` does."""
    sharing = image_sharing(usage)
    plans: dict[str, PrunePlan] = {name: make_plan(usage, sel, protection)
                                   for name, (sel, _) in STANDARD_PLANS.items()}
    containers_by_image: dict[str, list[dict[str, Any]]] = {}
    for c in usage.containers.values():
        containers_by_image.setdefault(c.image_id, []).append({"id": c.id, "name": c.name, "state": c.state})
    volume_users: dict[str, list[str]] = {}
    for c in usage.containers.values():
        for name in c.volumes:
            volume_users.setdefault(name, []).append(c.name)

    images = []
    for image in sorted(usage.images.values(), key=lambda i: (-i.size, i.id)):
        s = sharing[image.id]
        images.append({
            "id": image.id, "tags": image.tags, "created_ns": image.created_ns, "size": image.size,
            "shared": s.shared, "unique": s.unique, "engine_shared": image.engine_shared_size,
            "layers": len(image.chain), "sizes_exact": image.sizes_exact,
            "in_use": bool(containers_by_image.get(image.id)),
            "containers": sorted(containers_by_image.get(image.id, []), key=lambda c: c["name"]),
        })
    containers = [{
        "id": c.id, "name": c.name, "image": c.image, "image_id": c.image_id, "state": c.state,
        "created_ns": c.created_ns, "size_rw": c.size_rw, "volumes": c.volumes,
    } for c in sorted(usage.containers.values(), key=lambda c: (-c.size_rw, c.name))]
    volumes = [{
        "name": v.name, "driver": v.driver, "size": v.size, "ref_count": v.ref_count,
        "in_use": v.ref_count > 0, "used_by": sorted(volume_users.get(v.name, [])),
    } for v in sorted(usage.volumes.values(), key=lambda v: (-v.size, v.name))]
    cache = list(usage.build_cache.values())
    in_use_images = sum(1 for i in images if i["in_use"])
    running = sum(1 for c in usage.containers.values() if not c.stopped)
    return {
        "schema_version": SCHEMA_VERSION,
        "summary": {
            "images": {"count": len(images), "active": in_use_images, "size": usage.totals.layers_size,
                       "reclaimable": plans["unused-images"].predicted_bytes,
                       "engine_reclaimable": engine_reclaimable_images(usage)},
            "containers": {"count": len(containers), "active": running, "size": usage.totals.containers_size_rw,
                           "reclaimable": plans["stopped-containers"].predicted_bytes},
            "volumes": {"count": len(volumes), "active": sum(1 for v in volumes if v["in_use"]),
                        "size": usage.totals.volumes_size, "reclaimable": plans["unused-volumes"].predicted_bytes},
            "build_cache": {"count": len(cache), "active": sum(1 for r in cache if r.in_use),
                            "size": usage.totals.build_cache_size,
                            "engine_size": usage.totals.engine_builder_size,
                            "reclaimable": plans["build-cache"].predicted_bytes},
        },
        "images": images,
        "repositories": [{"repository": r.repository, "images": r.images, "tags": r.tags, "size": r.size,
                          "exclusive": r.exclusive} for r in repository_totals(usage)],
        "containers": containers,
        "volumes": volumes,
        "build_cache": [{"id": r.id, "type": r.type, "description": r.description, "in_use": r.in_use,
                         "shared": r.shared, "size": r.size} for r in sorted(cache, key=lambda r: (-r.size, r.id))],
        "plans": [{"name": name, "command": STANDARD_PLANS[name][1], "objects": len(plan.entries),
                   "bytes": plan.predicted_bytes} for name, plan in plans.items()],
    }
