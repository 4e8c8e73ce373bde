"""Which image layers the BuildKit build cache holds too.

With BuildKit (the engine's builder-next), a layer of a built image is also a build cache record:
the record is marked Shared while an image uses it. Removing the image then frees nothing on
disk: the layer leaves the engine's LayersSize, the record stops being Shared, and only pruning
the record frees the bytes. Measured on dockerd 20.10: the image delete reply names no deleted
layer, and the record's Size equals the layer's DiffSize. (The engine's BuilderSize counts Shared
records too, so `docker system df` counts such bytes twice, once under images and once under
build cache.)

The API does not link records to layers, so the link is rebuilt from what it does say: a layer
made by BuildKit (its history comment is "buildkit.dockerfile.v0") pairs with a Shared "regular"
record of exactly its size, preferring the record whose parent is the one paired with the layer
below and whose description names the same RUN command. Zero-byte layers are never paired: they
free nothing either way.
"""

from __future__ import annotations

import re

from dockopt.engine.usage import BuildCacheRecord, EngineUsage


def _run_command(created_by: str) -> str:
    text = re.sub(r"\s*# buildkit\s*$", "", created_by.strip())
    return text[4:] if text.startswith("RUN ") else ""


def cache_held_layers(usage: EngineUsage) -> dict[str, str]:
    """Chain ID -> ID of the Shared build cache record holding the same bytes."""
    free: dict[int, list[BuildCacheRecord]] = {}
    for record in sorted(usage.build_cache.values(), key=lambda r: r.id):
        if record.shared and record.type == "regular" and record.size > 0:
            free.setdefault(record.size, []).append(record)
    if not free:
        return {}
    held: dict[str, str] = {}
    for image in sorted(usage.images.values(), key=lambda i: (i.created_ns, i.id)):
        below = ""
        for chain_id, size, builder, made_by in zip(image.chain, image.layer_sizes, image.layer_builders,
                                                    image.layer_created_by):
            if chain_id in held:
                below = held[chain_id]
                continue
            if builder != "buildkit" or size <= 0 or not free.get(size):
                below = ""
                continue
            command = _run_command(made_by)
            candidates = free[size]
            best = max(candidates, key=lambda r: ((below != "" and r.parent == below),
                                                  bool(command) and command in r.description))
            candidates.remove(best)
            held[chain_id] = best.id
            below = best.id
    return held
