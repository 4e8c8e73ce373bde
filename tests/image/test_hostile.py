"""Hostile and corrupt archives, built here: each gives exit 2, one line naming the problem,
writes nothing, and stays within bounded memory."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import resource
import tarfile
from pathlib import Path

import pytest

from dockopt.image.reference import open_source
from dockopt.image.scan import scan_image


def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def file_member(name: str, data: bytes = b"hello\n") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def link_member(name: str, target: str, kind: bytes) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def docker_archive(path: Path, layers: list[bytes], diff_ids: list[str] | None = None,
                   manifest: bytes | None = None) -> Path:
    """A classic `docker save` layout around the given layer blobs."""
    ids = diff_ids or ["sha256:" + hashlib.sha256(layer).hexdigest() for layer in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ids},
                         "history": [{"created_by": f"step {i}"} for i in range(len(layers))]}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    members = [file_member(config_name, config)]
    names = []
    for i, layer in enumerate(layers):
        names.append(f"{i:064x}/layer.tar")
        members.append(file_member(names[-1], layer))
    members.append(file_member("manifest.json", manifest if manifest is not None else json.dumps(
        [{"Config": config_name, "RepoTags": ["hostile:1"], "Layers": names}]).encode()))
    path.write_bytes(tar_bytes(members))
    return path


def huge_pax_layer() -> bytes:
    """A pax header block claiming 100 MiB of metadata, followed by a few bytes only."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = 100 * 1024 * 1024
    header = info.tobuf(format=tarfile.USTAR_FORMAT)
    return header + b"x" * 4096


def huge_member_layer() -> bytes:
    info = tarfile.TarInfo("big")
    info.size = 10 * 1024**3  # claims 10 GiB, holds 1 KiB
    return info.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 1024


def good_layer() -> bytes:
    return tar_bytes([file_member("etc/ok", b"fine\n")])


CASES = {
    "absolute-path": lambda p: docker_archive(p, [tar_bytes([file_member("/etc/evil")])]),
    "dotdot-path": lambda p: docker_archive(p, [tar_bytes([file_member("../../evil")])]),
    "symlink-escape": lambda p: docker_archive(p, [tar_bytes([link_member("a/b", "../../../etc/shadow", tarfile.SYMTYPE)])]),
    "hardlink-escape": lambda p: docker_archive(p, [tar_bytes([link_member("b", "../outside", tarfile.LNKTYPE)])]),
    "huge-member": lambda p: docker_archive(p, [huge_member_layer()]),
    "huge-pax-header": lambda p: docker_archive(p, [huge_pax_layer()]),
    "truncated-gzip": lambda p: docker_archive(p, [gzip.compress(good_layer() * 50)[:300]],
                                               diff_ids=["sha256:" + "1" * 64]),
    "digest-mismatch": lambda p: docker_archive(p, [good_layer()], diff_ids=["sha256:" + "0" * 64]),
    "bogus-manifest-json": lambda p: docker_archive(p, [good_layer()], manifest=b"{not json"),
    "manifest-wrong-shape": lambda p: docker_archive(p, [good_layer()], manifest=b'{"Layers": 3}'),
    "not-a-tar": lambda p: (p.write_bytes(os.urandom(5000)), p)[1],
    "truncated-archive": lambda p: (p.write_bytes(docker_archive(p, [good_layer() * 20]).read_bytes()[:9000]), p)[1],
}

LAYER_CASES = {"absolute-path", "dotdot-path", "symlink-escape", "hardlink-escape", "huge-member",
               "huge-pax-header", "truncated-gzip", "digest-mismatch"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_archive_is_one_line_exit_2(case, tmp_path, dockopt):
    work = tmp_path / "work"
    work.mkdir()
    archive = CASES[case](tmp_path / f"{case}.tar")
    before = sorted(os.listdir(tmp_path))
    out = dockopt("analyze", f"docker-archive:{archive}", cwd=work)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dockopt: error:"), out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    if case in LAYER_CASES:
        assert "layer" in lines[0]
    assert sorted(os.listdir(tmp_path)) == before and os.listdir(work) == []
    # Children's peak memory (the largest of all CLI runs so far) stays bounded.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 300 * 1024


def test_a_valid_handmade_archive_reads(tmp_path):
    archive = docker_archive(tmp_path / "ok.tar", [good_layer()])
    result = scan_image(open_source(f"docker-archive:{archive}"))
    assert result.fs.get("/etc/ok").entry.size == 5


def test_output_file_not_written_on_error(tmp_path, dockopt):
    archive = CASES["digest-mismatch"](tmp_path / "bad.tar")
    target = tmp_path / "report.json"
    out = dockopt("analyze", "--format", "json", "-o", str(target), f"docker-archive:{archive}")
    assert out.returncode == 2 and not target.exists()


def test_missing_oci_blob(tmp_path, dockopt):
    layout = tmp_path / "layout"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "a" * 64, "size": 10}]}))
    out = dockopt("analyze", f"oci-dir:{layout}")
    assert out.returncode == 2 and "missing" in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("ref,needle", [
    ("docker-archive:/no/such/file.tar", "cannot open"),
    ("oci-dir:/no/such/dir", "not a directory"),
    ("registry:127.0.0.1:1/nothing:latest", "unreachable"),
    ("Bad_Name!!", "invalid"),
    ("docker:", "names no image"),
])
def test_bad_references(ref, needle, dockopt):
    out = dockopt("analyze", ref)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_no_engine_is_one_line(dockopt):
    out = dockopt("analyze", "docker:busybox", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert out.returncode == 2
    assert "cannot reach the Docker engine" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def oci_layout(root: Path, stored: bytes, named: str, diff_id: str) -> Path:
    """An OCI layout whose one layer is `stored`, in a blob file (and manifest entry) named `named`."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes, digest: str | None = None) -> dict:
        digest = digest or "sha256:" + hashlib.sha256(data).hexdigest()
        (blobs / digest[7:]).write_bytes(data)
        return {"digest": digest, "size": len(data)}

    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                         "history": [{"created_by": "step"}]}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **put(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       **put(stored, named)}]}).encode()
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", **put(manifest)}]}))
    return root


@pytest.mark.parametrize("compressed", [True, False])
@pytest.mark.parametrize("packed", [False, True])
def test_stored_blob_must_match_its_digest(tmp_path, dockopt, compressed, packed):
    """The layer's content and diff-ID are right, but its stored bytes are not the blob the
    manifest names (another gzip encoding of the same tar, or a renamed tar): refused."""
    layer = good_layer()
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    stored = gzip.compress(layer, compresslevel=9, mtime=0) if compressed else layer
    other = gzip.compress(layer, compresslevel=1, mtime=1) if compressed else layer + b"\0" * 512
    named = "sha256:" + hashlib.sha256(other).hexdigest()
    good = oci_layout(tmp_path / "good", stored, "sha256:" + hashlib.sha256(stored).hexdigest(), diff_id)
    bad = oci_layout(tmp_path / "bad", stored, named, diff_id)
    refs = []
    for root in (good, bad):
        if packed:
            with tarfile.open(root.with_suffix(".tar"), "w") as tar:
                tar.add(root, arcname=".")
            refs.append(f"oci-archive:{root.with_suffix('.tar')}")
        else:
            refs.append(f"oci-dir:{root}")
    ok = dockopt("analyze", "--format", "json", refs[0])
    assert ok.returncode == 0, ok.stderr
    out = dockopt("analyze", "--format", "json", refs[1])
    assert out.returncode == 2 and out.stdout == ""
    assert "blob digest mismatch" in out.stderr and len(out.stderr.strip().splitlines()) == 1
