"""Tar details real layers contain: long names (PAX and GNU), hard links, sparse files made by
GNU tar itself, and Docker 25+'s OCI-layout `docker save` with a manifest.json."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from dockopt.image.model import EntryType
from dockopt.image.reference import open_source
from dockopt.image.scan import scan_image
from tests.image.test_hostile import docker_archive, file_member, tar_bytes

LONG = "deep/" + "/".join(["d" * 60] * 4) + "/file.txt"


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_long_names_and_hard_links(tmp_path, fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        info, data = file_member(LONG, b"x" * 100)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("hard")
        link.type, link.linkname = tarfile.LNKTYPE, LONG
        tar.addfile(link)
    fs = scan_image(open_source(f"docker-archive:{docker_archive(tmp_path / 'a.tar', [buf.getvalue()])}")).fs
    assert fs.get("/" + LONG).entry.size == 100
    hard = fs.get("/hard").entry
    assert hard.type is EntryType.HARDLINK and hard.link_target == "/" + LONG and hard.size == 0
    assert fs.total_file_bytes == 100  # a hard link stores no second copy


def test_sparse_file_from_gnu_tar(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    sparse = src / "sparse.img"
    with open(sparse, "wb") as fh:
        fh.seek(8 * 1024 * 1024)
        fh.write(b"end")
    layer = tmp_path / "layer.tar"
    subprocess.run(["tar", "--sparse", "-C", str(src), "-cf", str(layer), "sparse.img"], check=True)
    assert layer.stat().st_size < 1024 * 1024  # GNU tar really stored it sparse
    fs = scan_image(open_source(f"docker-archive:{docker_archive(tmp_path / 'a.tar', [layer.read_bytes()])}")).fs
    assert fs.get("/sparse.img").entry.size == 8 * 1024 * 1024 + 3


def test_docker25_oci_save_layout(tmp_path):
    """Docker 25+ writes an OCI layout inside `docker save`, plus a manifest.json naming blobs."""
    layer = tar_bytes([file_member("etc/from-oci", b"oci\n")])
    layer_digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
                         "history": [{"created_by": "COPY x /etc/from-oci"}]}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": config_digest, "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": layer_digest, "size": len(layer)}]}).encode()
    manifest_digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest,
         "size": len(manifest), "annotations": {"io.containerd.image.name": "docker.io/library/x:1"}}]}).encode()
    blob = lambda d: f"blobs/sha256/{d.split(':')[1]}"  # noqa: E731
    docker_manifest = json.dumps([{"Config": blob(config_digest), "RepoTags": ["x:1"],
                                   "Layers": [blob(layer_digest)]}]).encode()
    members = [file_member(blob(layer_digest), layer), file_member(blob(config_digest), config),
               file_member(blob(manifest_digest), manifest), file_member("index.json", index),
               file_member("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
               file_member("manifest.json", docker_manifest)]
    path = tmp_path / "docker25.tar"
    path.write_bytes(tar_bytes(members))
    for ref in (f"docker-archive:{path}", f"oci-archive:{path}"):
        result = scan_image(open_source(ref))
        assert result.fs.get("/etc/from-oci").entry.size == 4
        assert result.image.layers[0].created_by == "COPY x /etc/from-oci"
    # A tampered layer blob is caught by its digest.
    tampered = path.read_bytes().replace(b"oci\n", b"OCI\n")
    bad = tmp_path / "bad.tar"
    bad.write_bytes(tampered)
    with pytest.raises(Exception) as err:
        scan_image(open_source(f"docker-archive:{bad}"))
    assert "digest" in str(err.value)
