"""`oci-dir:PATH` — an OCI image layout folder (index.json, blobs/), read with random access.

Every file of the layout is opened the same way (`_open`): a symbolic link is followed only
while it stays inside the layout, and only a regular file is opened (a directory, a FIFO or a
device where a blob should be is one clear error, never a wait or an endless read).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from dockopt.errors import ImageFormatError, InputError
from dockopt.image.documents import MAX_DOCUMENT, parse_index, parse_oci_layout
from dockopt.image.model import Image, Platform
from dockopt.image.oci import (
    image_from_manifest,
    select_manifest,
    verify_digest,
)
from dockopt.image.scan import FileBlob, LayerReader, Source
from dockopt.safeload import open_regular


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

    def _open(self, path: Path, what: str, layer: str | None = None) -> int:
        """A descriptor for the regular file `path` of the layout, links resolved inside it."""
        error = functools.partial(ImageFormatError, layer=layer) if layer else ImageFormatError
        where = what if layer else f"{self.reference}: {what}"
        root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        if os.path.commonpath([real, root]) != root:
            raise error(f"{where} is a symbolic link out of the layout")
        if not os.path.lexists(real):
            raise error(f"{where} is missing")
        return open_regular(real, where, error)  # type: ignore[arg-type]

    def _read_small(self, path: Path, what: str) -> bytes:
        fd = self._open(path, what)
        try:
            size = os.fstat(fd).st_size
            if size > MAX_DOCUMENT:
                raise ImageFormatError(f"{self.reference}: {what} is too large for a manifest ({size} bytes)")
            data = os.pread(fd, MAX_DOCUMENT + 1, 0)
        finally:
            os.close(fd)
        if len(data) > MAX_DOCUMENT:
            raise ImageFormatError(f"{self.reference}: {what} is too large for a manifest")
        return data

    def _small_blob(self, desc: dict[str, Any]) -> bytes:
        digest = str(desc.get("digest", ""))
        return self._read_small(self._blob_path(digest), f"blob {digest}")

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        index_path = self.root / "index.json"
        if not self.root.is_dir():
            raise InputError(f"{self.root} is not a directory")
        if not os.path.lexists(index_path):
            raise InputError(f"{self.root} is not an OCI image layout (no index.json)")
        layout_path = self.root / "oci-layout"
        if os.path.lexists(layout_path):
            parse_oci_layout(self._read_small(layout_path, "oci-layout"), f"{self.reference}: oci-layout")
        index = parse_index(self._read_small(index_path, "index.json"), f"{self.reference}: index.json")
        manifest, manifest_digest = select_manifest(index, self.platform, self._small_blob, self.reference)
        config_desc = manifest.get("config") or {}
        config_bytes = self._small_blob(config_desc)
        verify_digest(config_bytes, str(config_desc.get("digest")), f"{self.reference}: config")
        image = image_from_manifest(self.reference, self.kind, manifest, manifest_digest, config_bytes,
                                    annotations=index.get("annotations") or {})
        keys, blobs, fds = [], {}, []
        try:
            for layer in image.layers:
                assert layer.digest is not None
                keys.append(layer.digest)
                if layer.digest in blobs:
                    continue
                label = f"{layer.index} ({layer.digest[7:19]})"
                fd = self._open(self._blob_path(layer.digest), "layer blob", label)
                fds.append(fd)
                blobs[layer.digest] = FileBlob(layer.digest, fd, 0, os.fstat(fd).st_size, label)
            reader.scan_files(list(blobs.values()))
        finally:
            for fd in fds:
                os.close(fd)
        return image, keys
