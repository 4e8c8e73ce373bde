"""`registry:HOST/REPO[:TAG|@DIGEST]` — Registry v2, no engine needed; blobs streamed and verified."""

from __future__ import annotations

from typing import Any

from dockopt.errors import ImageFormatError, RegistryError
from dockopt.image.model import Image, Platform
from dockopt.image.oci import (
    image_from_manifest,
    is_index,
    parse_json,
    select_manifest,
    sha256_digest,
    verify_digest,
)
from dockopt.image.reference import DockerName
from dockopt.image.registry_client import CLIENT_ERRORS, RegistryClient, describe
from dockopt.image.scan import LayerReader, Source, StreamFromChunks


class RegistrySource(Source):
    kind = "registry"

    def __init__(self, name: DockerName, platform: Platform | None = None, insecure: bool | None = None,
                 timeout: float | None = None):
        self.name = name
        self.platform = platform
        self.insecure = insecure
        self.timeout = timeout
        self.reference = f"registry:{name}"

    def _resolve(self, client: RegistryClient) -> tuple[Image, dict[str, Any]]:
        repo = self.name.repository
        data, _, reported = client.manifest(repo, self.name.digest or self.name.tag or "latest")
        if self.name.digest:
            verify_digest(data, self.name.digest, f"{self.reference}: manifest")
        doc = parse_json(data, f"{self.reference}: manifest")
        digest = self.name.digest or sha256_digest(data)
        if is_index(doc):
            doc, digest = select_manifest(
                doc, self.platform, lambda d: client.manifest(repo, d["digest"])[0], self.reference)
        config_desc = doc.get("config") or {}
        config = client.blob_bytes(repo, str(config_desc.get("digest")))
        return image_from_manifest(self.reference, self.kind, doc, digest, config), doc

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        client = RegistryClient(self.name.registry, self.insecure, timeout=self.timeout)
        try:
            image, _ = self._resolve(client)
            keys = []
            for layer in image.layers:
                assert layer.digest is not None
                keys.append(layer.digest)
                if layer.digest in reader.scans or reader.metadata_only:
                    continue
                label = f"{layer.index} ({layer.digest[7:19]})"

                def broken(exc: Exception, label: str = label) -> Exception:
                    if isinstance(exc, RegistryError):  # the client's own verdict (too slow)
                        return RegistryError(f"layer {label}: {exc}")
                    return ImageFormatError(f"download broke off: {exc}", label)

                with client.blob_stream(self.name.repository, layer.digest) as chunks:
                    reader.scan(layer.digest, StreamFromChunks(chunks, broken), label, layer.size)  # type: ignore[arg-type]
            return image, keys
        except CLIENT_ERRORS as exc:  # the client maps its own; this catches any that slip past
            raise RegistryError(f"registry {self.name.registry}: {describe(exc)}") from None
        finally:
            client.close()
