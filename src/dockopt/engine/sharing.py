"""Layer-sharing accounting: a layer's bytes are freed only when the last image holding it goes.

"Shared" follows the engine's definition (docker system df -v): the bytes of layers that at least
one other listed image also holds; "unique" is the rest of the image's Size, i.e. what removing
that image alone would free. What a set of removals frees is computed here exactly: the layers of
the removed images that no remaining image and no remaining container still holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from dockopt.engine.usage import EngineUsage, ImageInfo


@dataclass(frozen=True)
class ImageSharing:
    image_id: str
    size: int
    shared: int
    unique: int
    containers: tuple[str, ...]
    """Names of the containers (running or stopped) created from this image."""


@dataclass(frozen=True)
class RepositoryTotal:
    repository: str
    images: int
    tags: int
    size: int
    """Bytes of the distinct layers of the repository's images (each layer counted once)."""
    exclusive: int
    """Bytes of the layers that only this repository's images hold (what removing all of them would
    free, containers aside: a container pins its image's layers)."""


def layer_holders(images: Iterable[ImageInfo]) -> dict[str, set[str]]:
    holders: dict[str, set[str]] = {}
    for image in images:
        for chain_id in image.chain:
            holders.setdefault(chain_id, set()).add(image.id)
    return holders


def image_sharing(usage: EngineUsage) -> dict[str, ImageSharing]:
    holders = layer_holders(usage.images.values())
    by_image: dict[str, list[str]] = {}
    for container in usage.containers.values():
        by_image.setdefault(container.image_id, []).append(container.name)
    result = {}
    for image in usage.images.values():
        shared = sum(size for chain_id, size in zip(image.chain, image.layer_sizes) if len(holders[chain_id]) > 1)
        result[image.id] = ImageSharing(image.id, image.size, shared, image.size - shared,
                                        tuple(sorted(by_image.get(image.id, []))))
    return result


def held_layers(usage: EngineUsage, removed_images: set[str], removed_containers: set[str] = frozenset()) -> set[str]:
    """Chain IDs that stay after the removals: those of remaining images and remaining containers."""
    kept: set[str] = set()
    for image in usage.images.values():
        if image.id not in removed_images:
            kept.update(image.chain)
    for container_id, chain in usage.container_chains.items():
        if container_id not in removed_containers:
            kept.update(chain)
    return kept


def bytes_freed(usage: EngineUsage, removed_images: set[str], removed_containers: set[str] = frozenset()) -> int:
    """Exact bytes of image layers freed by removing these images (and these containers)."""
    return sum(usage.layer_sizes.get(c, 0) for c in freed_layers(usage, removed_images, removed_containers))


def freed_layers(usage: EngineUsage, removed_images: set[str], removed_containers: set[str] = frozenset()) -> set[str]:
    kept = held_layers(usage, removed_images, removed_containers)
    gone: set[str] = set()
    for image_id in removed_images:
        image = usage.images.get(image_id)
        if image:
            gone.update(c for c in image.chain if c not in kept)
    return gone


def distinct_size(usage: EngineUsage, image_ids: Iterable[str]) -> int:
    chains: set[str] = set()
    for image_id in image_ids:
        chains.update(usage.images[image_id].chain)
    return sum(usage.layer_sizes.get(c, 0) for c in chains)


def repository_totals(usage: EngineUsage) -> list[RepositoryTotal]:
    members: dict[str, set[str]] = {}
    tags: dict[str, int] = {}
    for image in usage.images.values():
        for repository in image.repositories:
            members.setdefault(repository, set()).add(image.id)
        for tag in image.tags:
            repo = tag.rsplit(":", 1)[0] if tag.rfind(":") > tag.rfind("/") else tag
            tags[repo] = tags.get(repo, 0) + 1
    if any(image.dangling for image in usage.images.values()):
        members["<none>"] = {image.id for image in usage.images.values() if image.dangling}
        tags["<none>"] = 0
    holders = layer_holders(usage.images.values())
    totals = []
    for repository, ids in members.items():
        # An image also tagged in another repository counts as this repository's too.
        chains = {c for image_id in ids for c in usage.images[image_id].chain}
        exclusive = sum(usage.layer_sizes.get(c, 0) for c in chains if holders[c] <= ids)
        totals.append(RepositoryTotal(repository, len(ids), tags.get(repository, 0), distinct_size(usage, ids),
                                      exclusive))
    return sorted(totals, key=lambda t: (-t.size, t.repository))
