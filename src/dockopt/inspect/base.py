"""Which layers come from the base image, so user-waste figures are about the user's layers.

In order of trust: `--base IMAGE` (diff-ID prefix), the OCI base annotations or labels
(`org.opencontainers.image.base.digest` / `.name`) resolved to an image, the longest image in
the local engine whose layers are a strict prefix, the history boundary, and last dive's rule
(layer 0 is the base).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dockopt.errors import DockoptError
from dockopt.image.model import Image
from dockopt.image.scan import Source

BASE_NAME_KEY = "org.opencontainers.image.base.name"
BASE_DIGEST_KEY = "org.opencontainers.image.base.digest"


@dataclass(frozen=True)
class BaseInfo:
    layers: int
    """How many leading layers belong to the base image."""
    method: str
    """`--base`, `annotation`, `engine`, `history`, `first-layer` or `none`."""
    name: str | None = None


def common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def history_boundary(image: Image) -> int | None:
    """Layers up to the last CMD/ENTRYPOINT that is followed by more layers: the base's own
    final instruction (official images end with CMD), after which the user's build begins."""
    boundary = None
    history = image.config.history
    for layer in image.layers:
        if layer.history_index is None:
            continue
        earlier = history[:layer.history_index]
        for i in range(len(earlier) - 1, -1, -1):
            h = earlier[i]
            text = h.created_by.replace("/bin/sh -c #(nop) ", "").strip().upper()
            if h.empty_layer and (text.startswith("CMD") or text.startswith("ENTRYPOINT")):
                boundary = layer.index
                break
            if not h.empty_layer:
                break
    return boundary


def detect_base(image: Image, base: Image | None = None,
                resolve: Callable[[str], Image | None] | None = None,
                engine_images: Callable[[], list[list[str]]] | None = None) -> BaseInfo:
    diff_ids = [layer.diff_id for layer in image.layers]
    if base is not None:
        return BaseInfo(common_prefix(diff_ids, [layer.diff_id for layer in base.layers]), "--base", base.reference)
    marks = {**image.config.labels, **image.annotations}
    name = marks.get(BASE_NAME_KEY)
    if resolve is not None and name:
        found = resolve(name)
        if found is not None:
            n = common_prefix(diff_ids, [layer.diff_id for layer in found.layers])
            if n:
                return BaseInfo(n, "annotation", name)
    if engine_images is not None:
        best = 0
        for other in engine_images():
            if len(other) < len(diff_ids) and common_prefix(diff_ids, other) == len(other):
                best = max(best, len(other))
        if best:
            return BaseInfo(best, "engine", name)
    boundary = history_boundary(image)
    if boundary:
        return BaseInfo(boundary, "history", name)
    if len(image.layers) > 1:
        return BaseInfo(1, "first-layer", name)
    return BaseInfo(0, "none", name)


def engine_layer_lists(source: Source) -> list[list[str]] | None:
    """diff-ID lists of every image in the local engine (for exact base matching)."""
    client = getattr(source, "client", None)
    if source.kind != "docker" or client is None:
        return None
    out = []
    try:
        for img in client.images.list(all=False):
            layers = (img.attrs.get("RootFS") or {}).get("Layers")
            if layers is None:
                layers = (client.api.inspect_image(img.id).get("RootFS") or {}).get("Layers") or []
            out.append(list(layers))
    except Exception:  # base matching is best effort; the analysis stands without it
        return None
    return out


def annotation_resolver(source: Source):
    def resolve(name: str) -> Image | None:
        from dockopt.image.reference import open_source

        try:
            candidate = open_source(f"docker:{name}") if source.kind == "docker" else open_source(name)
            return candidate.metadata()
        except DockoptError:
            return None
    return resolve


def base_of(source: Source, image: Image, base: Image | None = None) -> BaseInfo:
    """`detect_base` with what the source offers: the engine's images, annotation lookups."""
    engine_lists = engine_layer_lists(source)
    return detect_base(image, base, annotation_resolver(source),
                       (lambda: engine_lists) if engine_lists is not None else None)
