"""`docker-archive:PATH[:TAG]` and `oci-archive:PATH` — image tars on disk, read as one stream."""

from __future__ import annotations

from pathlib import Path

from dockopt.errors import InputError
from dockopt.image.model import Image, Platform
from dockopt.image.scan import LayerReader, Source
from dockopt.image.sources.savetar import is_regular_file, read_save_file, read_save_tar


class ArchiveSource(Source):
    def __init__(self, kind: str, path: str, tag: str | None = None, platform: Platform | None = None):
        self.kind = kind
        self.path = Path(path)
        self.tag = tag
        self.platform = platform
        self.reference = f"{kind}:{path}" + (f":{tag}" if tag else "")

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        with handle:
            if self.path.is_dir():
                raise InputError(f"{self.path} is a directory (use oci-dir: for an OCI layout folder)")
            read = read_save_file if is_regular_file(handle) else read_save_tar  # a pipe streams
            return read(handle, reader, self.reference, self.kind, self.platform, self.tag)
