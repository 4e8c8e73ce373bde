"""`docker:NAME[:TAG|@DIGEST]` — the local engine via the docker SDK, save streamed (never on disk)."""

from __future__ import annotations

import os
from typing import Any

from dockopt.engine.client import connect
from dockopt.errors import BadReferenceError, EngineError, ImageFormatError
from dockopt.image.model import Image, ImageConfig, Layer
from dockopt.image.scan import LayerReader, Source, StreamFromChunks
from dockopt.image.sources.savetar import read_save_tar


def engine_client():
    """A connected docker SDK client, or EngineError with one clear line."""
    return connect(timeout=int(os.environ.get("DOCKOPT_ENGINE_TIMEOUT", "300")))


class DockerEngineSource(Source):
    kind = "docker"

    def __init__(self, name: str, client: Any = None):
        self.name = name
        self.reference = f"docker:{name}"
        self._client = client

    @property
    def client(self):
        if self._client is None:
            self._client = engine_client()
        return self._client

    def _get(self):
        import docker.errors

        try:
            return self.client.images.get(self.name)
        except docker.errors.ImageNotFound:
            raise BadReferenceError(f"image {self.name!r} not found in the local engine") from None
        except docker.errors.APIError as exc:
            raise EngineError(f"engine refused to inspect {self.name!r}: {exc.explanation or exc}") from None

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        import docker.errors

        img = self._get()
        try:
            chunks = self.client.api.get_image(img.id, chunk_size=1 << 20)
        except docker.errors.APIError as exc:
            raise EngineError(f"engine refused to save {self.name!r}: {exc.explanation or exc}") from None

        def broken(exc: Exception) -> Exception:
            return ImageFormatError(f"the engine's save stream broke off: {exc}")

        image, keys = read_save_tar(StreamFromChunks(chunks, broken), reader, self.reference, self.kind, None)
        image.repo_tags = list(img.tags)
        return image, keys

    def metadata(self) -> Image:
        """From inspect and history alone: no layer is read."""
        img = self._get()
        attrs = img.attrs
        raw: dict[str, Any] = {"rootfs": {"diff_ids": (attrs.get("RootFS") or {}).get("Layers") or []},
                               "config": attrs.get("Config") or {}, "os": attrs.get("Os"),
                               "architecture": attrs.get("Architecture")}
        config = ImageConfig(raw)
        layers = [Layer(index=i, diff_id=d) for i, d in enumerate(config.diff_ids)]
        return Image(reference=self.reference, source=self.kind, config=config, layers=layers,
                     config_digest=img.id, repo_tags=list(img.tags))
