"""`oci-dir:PATH` — an OCI image layout folder (index.json, blobs/), read with random access."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dockopt.errors import ImageFormatError, InputError
from dockopt.image.documents import parse_index, parse_oci_layout
from dockopt.safeload import read_regular_file
from dockopt.image.model import Image, Platform
from dockopt.image.oci import (
    MAX_JSON,
    image_from_manifest,
    select_manifest,
    verify_digest,
)
from dockopt.image.scan import FileBlob, LayerReader, Source


class OciDirSource(Source):
    kind = "oci-dir"

    def __init__(self, path: str, platform: Platform | None = None):
        self.root = Path(path)
        self.platform = platform
        self.reference = f"oci-dir:{path}"

    def _blob_path(self, digest: str) -> Path:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or len(hexpart) != 64 or not all(c in "0123456789abcdef" for c in hexpart):
            raise ImageFormatError(f"{self.reference}: invalid digest {digest!r}")
        return self.root / "blobs" / algo / hexpart

    def _small_blob(self, desc: dict[str, Any]) -> bytes:
        path = self._blob_path(str(desc.get("digest", "")))
        try:
            if path.stat().st_size > MAX_JSON:
                raise ImageFormatError(f"{self.reference}: blob {path.name[:12]} is too large for a manifest")
            return path.read_bytes()
        except FileNotFoundError:
            raise ImageFormatError(f"{self.reference}: blob {desc.get('digest')} is missing") from None

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        index_path = self.root / "index.json"
        if not self.root.is_dir():
            raise InputError(f"{self.root} is not a directory")
        if not index_path.is_file():
            raise InputError(f"{self.root} is not an OCI image layout (no index.json)")
        layout_path = self.root / "oci-layout"
        if layout_path.exists():
            parse_oci_layout(read_regular_file(layout_path, "OCI layout marker", 1 << 16, ImageFormatError),
                             f"{self.reference}: oci-layout")
        index = parse_index(index_path.read_bytes(), f"{self.reference}: index.json")
        manifest, manifest_digest = select_manifest(index, self.platform, self._small_blob, self.reference)
        config_desc = manifest.get("config") or {}
        config_bytes = self._small_blob(config_desc)
        verify_digest(config_bytes, str(config_desc.get("digest")), f"{self.reference}: config")
        image = image_from_manifest(self.reference, self.kind, manifest, manifest_digest, config_bytes,
                                    annotations=index.get("annotations") or {})
        keys, blobs, handles = [], {}, []
        try:
            for layer in image.layers:
                assert layer.digest is not None
                keys.append(layer.digest)
                if layer.digest in blobs:
                    continue
                label = f"{layer.index} ({layer.digest[7:19]})"
                try:
                    handle = open(self._blob_path(layer.digest), "rb")
                except FileNotFoundError:
                    raise ImageFormatError("layer blob is missing", label) from None
                handles.append(handle)
                fd = handle.fileno()
                blobs[layer.digest] = FileBlob(layer.digest, fd, 0, os.fstat(fd).st_size, label)
            reader.scan_files(list(blobs.values()))
        finally:
            for handle in handles:
                handle.close()
        return image, keys
