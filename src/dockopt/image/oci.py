"""OCI/Docker manifests and indexes: choosing a platform, building the `Image` model."""

from __future__ import annotations

import hashlib
import platform as _platform
from typing import Any, Callable

from dockopt.errors import ImageFormatError
from dockopt.image.documents import (  # noqa: F401 (the media types are part of this module's interface)
    DOCKER_LIST,
    DOCKER_MANIFEST,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    OCI_MANIFEST,
    is_index,
    parse_config,
    parse_manifest_or_index,
)
from dockopt.image.model import Image, ImageConfig, Layer, Platform, map_history


def host_platform() -> Platform:
    machine = _platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
            "armv7l": "arm", "i686": "386", "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x"}.get(machine, machine)
    return Platform("linux", arch, "v7" if machine == "armv7l" else None)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verify_digest(data: bytes, digest: str, what: str) -> None:
    algo, _, hexpart = digest.partition(":")
    if algo != "sha256":
        raise ImageFormatError(f"{what}: unsupported digest algorithm {algo!r}")
    if sha256_digest(data) != digest:
        raise ImageFormatError(f"{what}: digest mismatch (expected {digest})")


def parse_json(data: bytes, what: str) -> dict[str, Any]:
    """A manifest or an index, size-, depth- and shape-checked (see `documents`)."""
    return parse_manifest_or_index(data, what)


def _matches(desc_platform: dict[str, Any] | None, want: Platform) -> bool:
    if not desc_platform:
        return False
    if desc_platform.get("os") != want.os or desc_platform.get("architecture") != want.architecture:
        return False
    return want.variant is None or desc_platform.get("variant") in (None, want.variant)


def select_manifest(index: dict[str, Any], platform: Platform | None,
                    fetch: Callable[[dict[str, Any]], bytes], what: str, depth: int = 0
                    ) -> tuple[dict[str, Any], str]:
    """From an index, follow descriptors (nested indexes too) to one image manifest.

    `fetch(descriptor)` returns the raw bytes of a descriptor's blob; digests are verified here.
    Attestation manifests (platform unknown/unknown) are never chosen.
    """
    if depth > 4:
        raise ImageFormatError(f"{what}: indexes nested too deeply")
    manifests = list(index.get("manifests") or [])  # shape-checked: descriptors with a digest
    candidates = [d for d in manifests if (d.get("platform") or {}).get("os") != "unknown"]
    if not candidates:
        raise ImageFormatError(f"{what}: index lists no image manifests")
    want = platform or host_platform()
    chosen = [d for d in candidates if _matches(d.get("platform"), want)]
    if not chosen:
        without_platform = [d for d in candidates if not d.get("platform")]
        if platform is None and len(candidates) == 1:
            chosen = candidates
        elif without_platform:
            chosen = without_platform[:1]
        else:
            offered = ", ".join(sorted({str(Platform(**{k: p.get(k) for k in ("os", "architecture", "variant")}))
                                        for p in (d.get("platform") or {} for d in candidates) if p.get("os")}))
            raise ImageFormatError(f"{what}: no manifest for platform {want} (available: {offered or 'none'})")
    desc = chosen[0]
    data = fetch(desc)
    verify_digest(data, desc["digest"], f"{what}: manifest {desc['digest'][:19]}")
    doc = parse_json(data, f"{what}: manifest {desc['digest'][:19]}")
    if is_index(doc):
        return select_manifest(doc, platform, fetch, what, depth + 1)
    return doc, desc["digest"]


def image_from_manifest(reference: str, source: str, manifest: dict[str, Any], manifest_digest: str | None,
                        config_bytes: bytes, annotations: dict[str, str] | None = None) -> Image:
    config_desc = manifest.get("config") or {}
    config_digest = config_desc.get("digest")
    if config_digest:
        verify_digest(config_bytes, config_digest, f"{reference}: config")
    label = f"config blob {config_digest[:19]}…" if config_digest else "config"
    config = ImageConfig(parse_config(config_bytes, f"{reference}: {label}"))
    layer_descs = manifest.get("layers")
    if not isinstance(layer_descs, list):
        raise ImageFormatError(f"{reference}: manifest has no layer list")
    diff_ids = config.diff_ids
    if len(diff_ids) != len(layer_descs):
        raise ImageFormatError(f"{reference}: manifest lists {len(layer_descs)} layers but the config "
                               f"lists {len(diff_ids)} diff-IDs")
    history = map_history(config)
    layers = []
    for i, (desc, diff_id) in enumerate(zip(layer_descs, diff_ids)):
        if not isinstance(desc, dict) or not str(desc.get("digest", "")).startswith("sha256:"):
            raise ImageFormatError(f"{reference}: layer {i} has no sha256 digest")
        created_by, hist_index = history[i]
        layers.append(Layer(index=i, diff_id=diff_id, digest=desc["digest"], size=desc.get("size"),
                            media_type=desc.get("mediaType"), created_by=created_by, history_index=hist_index))
    merged = dict(annotations or {})
    merged.update(manifest.get("annotations") or {})
    return Image(reference=reference, source=source, config=config, layers=layers, manifest=manifest,
                 manifest_digest=manifest_digest, config_digest=config_digest or sha256_digest(config_bytes),
                 annotations=merged)
