"""Small images, containers and volumes made cheaply for the disk/prune tests.

Images are written as docker-archive tarballs and loaded (`docker load`): that gives full control
over layers (and so over which layers two images share), creation times, labels and tags, in well
under a second per image. Everything carries the label `dockopt.test=1` and a per-run label.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

TEST_LABEL = "dockopt.test"
RUN_LABEL = "dockopt.test.run"


def layer_tar(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    """An uncompressed layer tarball with these regular files (mode 0755) and symlinks."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({str(Path(p).parent) for p in [*files, *(symlinks or {})]} - {"."})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 1_600_000_000
            tar.addfile(info)
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o755, 1_600_000_000
            tar.addfile(info, io.BytesIO(data))
        for path, target in sorted((symlinks or {}).items()):
            info = tarfile.TarInfo(path)
            info.type, info.linkname, info.mtime = tarfile.SYMTYPE, target, 1_600_000_000
            tar.addfile(info)
    return buf.getvalue()


def random_layer(n_bytes: int, name: str = "data.bin") -> bytes:
    return layer_tar({name: os.urandom(n_bytes)})


def busybox_layer() -> bytes:
    return layer_tar({"bin/busybox": Path("/bin/busybox").read_bytes()},
                     {"bin/sh": "busybox", "bin/true": "busybox", "bin/dd": "busybox", "bin/sleep": "busybox"})


def image_archive(layers: list[bytes], tags: list[str], labels: dict[str, str], created: str,
                  cmd: list[str] | None = None) -> tuple[bytes, str]:
    """A docker-archive (docker save format) holding one image; returns (tarball, image ID)."""
    diff_ids = ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = {
        "architecture": "amd64", "os": "linux", "created": created,
        "config": {"Labels": labels, "Cmd": cmd or ["/bin/true"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": created, "created_by": f"test layer {i}"} for i in range(len(layers))],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    image_id = hashlib.sha256(config_bytes).hexdigest()
    manifest = [{"Config": f"{image_id}.json", "RepoTags": tags or None,
                 "Layers": [f"{d.split(':')[1]}/layer.tar" for d in diff_ids]}]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            tar.addfile(info, io.BytesIO(data))
        add(f"{image_id}.json", config_bytes)
        for diff, layer in zip(diff_ids, layers):
            add(f"{diff.split(':')[1]}/layer.tar", layer)
        add("manifest.json", json.dumps(manifest).encode())
    return buf.getvalue(), "sha256:" + image_id


@dataclass
class EngineObjects:
    """Creates objects labelled for one test and removes whatever of them is left at the end."""

    client: object
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    images: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {TEST_LABEL: "1", RUN_LABEL: self.run}

    @property
    def run_filter(self) -> str:
        return f"label={RUN_LABEL}={self.run}"

    def repo(self, name: str) -> str:
        return f"dockopt-test/prune-{self.run}/{name}"

    def image(self, layers: list[bytes], tags: list[str] = (), created: str | None = None,
              labels: dict[str, str] | None = None, cmd: list[str] | None = None) -> str:
        created = created or time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{time.time_ns() % 10**9:09d}Z"
        data, image_id = image_archive(layers, list(tags), {**self.labels, **(labels or {})}, created, cmd)
        for _ in self.client.api.load_image(data):
            pass
        self.images.append(image_id)
        return image_id

    def container(self, image: str, labels: dict[str, str] | None = None, run: bool = False,
                  volumes: dict[str, str] | None = None, cmd: list[str] | None = None) -> str:
        host_config = self.client.api.create_host_config(
            binds=[f"{v}:{p}" for v, p in (volumes or {}).items()], network_mode="none")
        created = self.client.api.create_container(image, command=cmd, labels={**self.labels, **(labels or {})},
                                                   host_config=host_config)
        cid = created["Id"]
        self.containers.append(cid)
        if run:
            self.client.api.start(cid)
            self.client.api.wait(cid, timeout=60)
        return cid

    def volume(self, labels: dict[str, str] | None = None) -> str:
        name = f"dockopt-test-{self.run}-{len(self.volumes)}"
        self.client.api.create_volume(name, labels={**self.labels, **(labels or {})})
        self.volumes.append(name)
        return name

    def cleanup(self) -> None:
        for cid in self.containers:
            try:
                self.client.api.remove_container(cid, force=True)
            except Exception:
                pass
        for name in self.volumes:
            try:
                self.client.api.remove_volume(name, force=True)
            except Exception:
                pass
        for image_id in reversed(self.images):
            try:
                current = self.client.api.inspect_image(image_id)
            except Exception:
                continue
            for tag in current.get("RepoTags") or []:
                try:
                    self.client.api.remove_image(tag)
                except Exception:
                    pass
            try:
                self.client.api.remove_image(image_id)
            except Exception:
                pass

    def existing_images(self) -> set[str]:
        out = set()
        for image_id in self.images:
            try:
                self.client.api.inspect_image(image_id)
                out.add(image_id)
            except Exception:
                pass
        return out

    def existing_containers(self) -> set[str]:
        return {c["Id"] for c in self.client.api.containers(all=True, filters={"label": f"{RUN_LABEL}={self.run}"})}

    def existing_volumes(self) -> set[str]:
        vols = self.client.api.volumes(filters={"label": f"{RUN_LABEL}={self.run}"}).get("Volumes") or []
        return {v["Name"] for v in vols}


def rfc3339(year: int, month: int = 1, day: int = 1) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z"
