"""One snapshot of what the engine stores: images and their layers, containers, volumes, build cache.

Layer sizes are the engine's own per-layer figures (the layer store's DiffSize), read from the image
history endpoint: each history entry that created a layer carries the DiffSize of the layer at that
position of the image's chain. The same DiffSize values make up the engine's image `Size`,
`SharedSize` and `LayersSize`, so figures computed from them add up exactly with the engine's.
Layers are identified by chain ID (the diff ID together with every layer below it), because the
layer store keeps one copy per chain: the same diff on two different parents is stored twice.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from dockopt.engine.client import first_line, is_not_found
from dockopt.engine.filters import parse_engine_time, split_repo_tag
from dockopt.errors import EngineError

STOPPED_STATES = frozenset({"created", "exited", "dead"})


@dataclass
class ImageInfo:
    id: str
    tags: list[str]
    """`repository:tag` references; empty for a dangling image."""
    digests: list[str]
    created_ns: int
    labels: dict[str, str]
    size: int
    """The engine's Size: the sum of the DiffSize of every layer in the chain."""
    engine_shared_size: int
    """The engine's SharedSize from the df endpoint (-1 when it did not say)."""
    chain: list[str]
    """Chain IDs, base layer first."""
    layer_sizes: list[int]
    sizes_exact: bool = True
    """False when the history did not give every layer's size (see `layer_history`)."""
    layer_builders: list[str] = field(default_factory=list)
    """Per layer, "buildkit" when BuildKit made it (its build cache may hold the same bytes)."""
    layer_created_by: list[str] = field(default_factory=list)

    @property
    def dangling(self) -> bool:
        return not self.tags

    @property
    def repositories(self) -> list[str]:
        return sorted({split_repo_tag(t)[0] for t in self.tags})

    @property
    def name(self) -> str:
        return self.tags[0] if self.tags else f"<none>@{short_id(self.id)}"


@dataclass
class ContainerInfo:
    id: str
    name: str
    image_id: str
    image: str
    state: str
    created_ns: int
    labels: dict[str, str]
    size_rw: int
    volumes: list[str] = field(default_factory=list)

    @property
    def stopped(self) -> bool:
        return self.state in STOPPED_STATES


@dataclass
class VolumeInfo:
    name: str
    driver: str
    created_ns: int
    labels: dict[str, str]
    size: int
    """Bytes, or -1 when the engine does not know (non-local drivers)."""
    ref_count: int


@dataclass
class BuildCacheRecord:
    id: str
    parent: str
    type: str
    description: str
    in_use: bool
    shared: bool
    size: int
    created_ns: int
    last_used_ns: int


@dataclass
class EngineTotals:
    """The engine's own accounting (df endpoint), used before and after a prune.

    `build_cache_size` counts only records not shared with an image: the engine's BuilderSize also
    counts Shared records, whose bytes are image layers already in LayersSize, so adding the two
    (as `docker system df` invites) counts BuildKit-built layers twice.
    """

    layers_size: int
    containers_size_rw: int
    volumes_size: int
    build_cache_size: int
    engine_builder_size: int = 0

    @property
    def total(self) -> int:
        return self.layers_size + self.containers_size_rw + self.volumes_size + self.build_cache_size

    def as_dict(self) -> dict[str, int]:
        return {"images": self.layers_size, "containers": self.containers_size_rw,
                "volumes": self.volumes_size, "build_cache": self.build_cache_size, "total": self.total,
                "engine_builder_size": self.engine_builder_size}


@dataclass
class EngineUsage:
    images: dict[str, ImageInfo]
    containers: dict[str, ContainerInfo]
    volumes: dict[str, VolumeInfo]
    build_cache: dict[str, BuildCacheRecord]
    layer_sizes: dict[str, int]
    """Chain ID -> DiffSize for every layer of every listed image and every container's image."""
    container_chains: dict[str, list[str]]
    """Container ID -> the chain of the image it was created from (intermediate images included)."""
    totals: EngineTotals
    collected_at_ns: int


def short_id(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]


def chain_ids(diff_ids: list[str]) -> list[str]:
    """Chain IDs per the image spec: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))."""
    chains: list[str] = []
    for diff in diff_ids:
        if not chains:
            chains.append(diff)
        else:
            chains.append("sha256:" + hashlib.sha256(f"{chains[-1]} {diff}".encode()).hexdigest())
    return chains


def _labels(value: Any) -> dict[str, str]:
    return dict(value) if isinstance(value, dict) else {}


def engine_df(client: Any, patience_s: float = 300.0) -> dict[str, Any]:
    """The df endpoint. dockerd 20.10 answers "a disk usage operation is already running" while
    another client's df is in progress (it runs one at a time), so that answer is waited out."""
    deadline = time.monotonic() + patience_s
    pause = 0.1
    while True:
        try:
            return client.api.df()
        except Exception as exc:
            busy = "already running" in first_line(exc)
            if not busy or time.monotonic() > deadline:
                raise EngineError(f"the engine refused the disk-usage request: {first_line(exc)}") from None
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def totals_from_df(df: dict[str, Any]) -> EngineTotals:
    containers = sum(max(int(c.get("SizeRw") or 0), 0) for c in df.get("Containers") or [])
    volumes = sum(max(int(((v.get("UsageData") or {}).get("Size")) or 0), 0) for v in df.get("Volumes") or [])
    cache = sum(int(r.get("Size") or 0) for r in df.get("BuildCache") or [] if not r.get("Shared"))
    return EngineTotals(layers_size=int(df.get("LayersSize") or 0), containers_size_rw=containers,
                        volumes_size=volumes, build_cache_size=cache,
                        engine_builder_size=int(df.get("BuilderSize") or 0))


def measure_totals(client: Any) -> EngineTotals:
    return totals_from_df(engine_df(client))


_METADATA_ONLY = re.compile(
    r"^(?:/bin/sh -c #\(nop\)\s*)?(?:ENV|LABEL|CMD|ENTRYPOINT|EXPOSE|USER|VOLUME|STOPSIGNAL|HEALTHCHECK|SHELL|"
    r"ONBUILD|ARG|MAINTAINER)\b")


def layer_history(history: list[dict[str, Any]], n_layers: int, image_size: int,
                  layers_at: Callable[[str], int | None] | None = None
                  ) -> tuple[list[int], list[dict[str, Any]], bool]:
    """DiffSize of each layer in chain order, from the history endpoint, the history entry that
    made each layer, and whether the sizes are exact.

    The endpoint lists the config's history newest first; an entry that created a layer carries
    that layer's DiffSize, an `empty_layer` entry carries 0. The empty_layer flags themselves are
    not in the API, so entries are matched to layers thus:
      * as many entries as layers: one to one;
      * as many non-zero entries as layers: those, in order;
      * entries that name a local image (the classic builder keeps one per step): an entry made a
        layer when its image has more layers than the previous entry's (`layers_at`);
      * otherwise the zero-sized entries that are not metadata-only instructions (ENV, LABEL,
        CMD...) are taken as the remaining layers when their number fits.
    The result is exact when it also sums to the engine's Size for the image; if not, the caller
    places the sizes from what other images say (`collect_usage`).
    """
    entries = list(reversed(history))
    sizes = [int(h.get("Size") or 0) for h in entries]
    if n_layers == 0:
        return [], [], image_size == 0
    nonzero = [i for i, size in enumerate(sizes) if size > 0]
    chosen: list[int] = []
    if len(entries) == n_layers:
        chosen = list(range(n_layers))
    elif len(nonzero) == n_layers:
        chosen = nonzero
    else:
        if layers_at is not None:
            chosen = _layers_by_step_images(entries, layers_at)
        if len(chosen) != n_layers:
            zero_layers = [i for i, size in enumerate(sizes)
                           if size == 0 and not _METADATA_ONLY.match((entries[i].get("CreatedBy") or "").strip())]
            chosen = sorted(nonzero + zero_layers)
    picked = [sizes[i] for i in chosen]
    if len(picked) == n_layers and sum(picked) == image_size:
        return picked, [entries[i] for i in chosen], True
    # Unexplained history: the caller fills in the sizes (all on the top layer until then).
    fallback = [0] * n_layers
    fallback[-1] = image_size
    return fallback, [{} for _ in range(n_layers)], False


def _layers_by_step_images(entries: list[dict[str, Any]], layers_at: Callable[[str], int | None]) -> list[int]:
    chosen = []
    previous = 0
    for index, entry in enumerate(entries):
        step_image = entry.get("Id") or ""
        if not step_image.startswith("sha256:"):
            return []  # "<missing>": a step with no local image, cannot tell
        count = layers_at(step_image)
        if count is None:
            return []
        if count > previous:
            chosen.append(index)
        previous = count
    return chosen


def _fill_inexact(image: "ImageInfo", known: dict[str, int]) -> None:
    """Sizes for an image whose history cannot be matched to its layers: layers that images with an
    exact history also hold take their size from those; the rest of the engine's Size for this
    image goes on its top layer. Totals stay right and no shared layer is counted twice."""
    sizes = [known.get(c, 0) for c in image.chain]
    unknown = [k for k, c in enumerate(image.chain) if c not in known]
    rest = image.size - sum(sizes)
    if unknown:
        sizes[unknown[-1]] += rest
    image.layer_sizes = sizes


def layer_sizes_from_history(history: list[dict[str, Any]], n_layers: int, image_size: int) -> tuple[list[int], bool]:
    sizes, _, exact = layer_history(history, n_layers, image_size)
    return sizes, exact


BUILDKIT_COMMENT = "buildkit.dockerfile.v0"


def _image_layers(client: Any, image_id: str,
                  inspect: dict[str, Any]) -> tuple[list[str], list[int], list[str], list[str], bool]:
    diff_ids = list((inspect.get("RootFS") or {}).get("Layers") or [])
    chain = chain_ids(diff_ids)
    def layers_at(step_image: str) -> int | None:
        try:
            return len((client.api.inspect_image(step_image).get("RootFS") or {}).get("Layers") or [])
        except Exception:
            return None

    sizes, made_by, exact = layer_history(client.api.history(image_id), len(chain), int(inspect.get("Size") or 0),
                                          layers_at)
    builders = ["buildkit" if (h.get("Comment") or "") == BUILDKIT_COMMENT else "" for h in made_by]
    return chain, sizes, builders, [h.get("CreatedBy") or "" for h in made_by], exact


def collect_usage(client: Any) -> EngineUsage:
    """Read everything once. Objects that vanish while being read (a shared engine) are left out."""
    started = time.time_ns()
    df = engine_df(client)
    images: dict[str, ImageInfo] = {}
    layer_sizes: dict[str, int] = {}
    for summary in df.get("Images") or []:
        image_id = summary["Id"]
        info = _read_image(client, image_id, summary)
        if info is None:
            continue
        images[image_id] = info
    for info in images.values():
        if info.sizes_exact:
            for chain_id, size in zip(info.chain, info.layer_sizes):
                layer_sizes.setdefault(chain_id, size)
    # Shorter chains first, so an inexact image that is a prefix of another one places its bytes
    # before the longer one counts what is left.
    for info in sorted(images.values(), key=lambda i: (len(i.chain), i.id)):
        if not info.sizes_exact:
            _fill_inexact(info, layer_sizes)
            for chain_id, size in zip(info.chain, info.layer_sizes):
                layer_sizes.setdefault(chain_id, size)

    containers: dict[str, ContainerInfo] = {}
    container_chains: dict[str, list[str]] = {}
    for raw in df.get("Containers") or []:
        container = _read_container(client, raw)
        if container is None:
            continue
        containers[container.id] = container
        if container.image_id in images:
            container_chains[container.id] = images[container.image_id].chain
        else:
            # Created from an intermediate (untagged parent) image: it is not listed, but its
            # layers stay for as long as the container does.
            info = _read_image(client, container.image_id, {})
            container_chains[container.id] = info.chain if info else []
            if info:
                for chain_id, size in zip(info.chain, info.layer_sizes):
                    layer_sizes.setdefault(chain_id, size)

    volumes = {}
    for raw in df.get("Volumes") or []:
        usage = raw.get("UsageData") or {}
        volumes[raw["Name"]] = VolumeInfo(
            name=raw["Name"], driver=raw.get("Driver") or "", created_ns=parse_engine_time(raw.get("CreatedAt")),
            labels=_labels(raw.get("Labels")), size=int(usage.get("Size", -1)), ref_count=int(usage.get("RefCount", 0)))

    cache = {}
    for raw in df.get("BuildCache") or []:
        created = parse_engine_time(raw.get("CreatedAt"))
        cache[raw["ID"]] = BuildCacheRecord(
            id=raw["ID"], parent=raw.get("Parent") or "", type=raw.get("Type") or "",
            description=raw.get("Description") or "", in_use=bool(raw.get("InUse")), shared=bool(raw.get("Shared")),
            size=int(raw.get("Size") or 0), created_ns=created,
            last_used_ns=parse_engine_time(raw.get("LastUsedAt")) or created)

    return EngineUsage(images=images, containers=containers, volumes=volumes, build_cache=cache,
                       layer_sizes=layer_sizes, container_chains=container_chains,
                       totals=totals_from_df(df), collected_at_ns=started)


def _read_image(client: Any, image_id: str, summary: dict[str, Any]) -> ImageInfo | None:
    try:
        inspect = client.api.inspect_image(image_id)
        chain, sizes, builders, created_by, exact = _image_layers(client, image_id, inspect)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise EngineError(f"cannot read image {short_id(image_id)}: {first_line(exc)}") from None
    tags = [t for t in inspect.get("RepoTags") or [] if t != "<none>:<none>"]
    digests = [d for d in inspect.get("RepoDigests") or [] if d != "<none>@<none>"]
    config = inspect.get("Config") or {}
    return ImageInfo(
        id=image_id, tags=tags, digests=digests, created_ns=parse_engine_time(inspect.get("Created")),
        labels=_labels(config.get("Labels")), size=int(inspect.get("Size") or 0),
        engine_shared_size=int(summary.get("SharedSize", -1)), chain=chain, layer_sizes=sizes, sizes_exact=exact,
        layer_builders=builders, layer_created_by=created_by)


def _read_container(client: Any, raw: dict[str, Any]) -> ContainerInfo | None:
    try:
        inspect = client.api.inspect_container(raw["Id"])
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise EngineError(f"cannot read container {raw['Id'][:12]}: {first_line(exc)}") from None
    names = raw.get("Names") or [inspect.get("Name") or ""]
    volumes = [m["Name"] for m in inspect.get("Mounts") or [] if m.get("Type") == "volume" and m.get("Name")]
    return ContainerInfo(
        id=raw["Id"], name=names[0].lstrip("/"), image_id=inspect.get("Image") or raw.get("ImageID") or "",
        image=raw.get("Image") or "", state=(inspect.get("State") or {}).get("Status") or raw.get("State") or "",
        created_ns=parse_engine_time(inspect.get("Created")), labels=_labels((inspect.get("Config") or {}).get("Labels")),
        size_rw=max(int(raw.get("SizeRw") or 0), 0), volumes=volumes)
