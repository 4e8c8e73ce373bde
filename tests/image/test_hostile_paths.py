"""Image inputs whose *files* are hostile (not their content): a blob that is a directory, a
FIFO or a link to /dev/zero, a link out of the layout, an archive that is a FIFO nobody writes
to or a device, and gigabyte pax / GNU long-name headers in the outer archive itself. Each is
exit 2 with one line, quickly, in bounded memory, and the input is left as it was."""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import threading
from pathlib import Path

import pytest

from tests.hostile import assert_clean_error, run_hostile, tree_state
from tests.image.test_hostile import docker_archive, good_layer, oci_layout



def layout_with_layer(root: Path) -> tuple[Path, Path]:
    layer = good_layer()
    digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    oci_layout(root, layer, digest, digest)
    return root, root / "blobs" / "sha256" / digest[7:]


def config_blob(root: Path) -> Path:
    import json

    index = json.loads((root / "index.json").read_text())
    manifest = json.loads((root / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_text())
    return root / "blobs" / "sha256" / manifest["config"]["digest"][7:]


def replace_with(path: Path, kind: str, tmp_path: Path) -> None:
    path.unlink()
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "outside":
        outside = tmp_path / "outside-secret"
        outside.write_bytes(b"not part of the image\n")
        path.symlink_to(os.path.relpath(outside, path.parent))


BLOB_CASES = {
    "directory": "is a directory, not a regular file",
    "fifo": "is a FIFO, not a regular file",
    "dev-zero": "symbolic link out of the layout",
    "outside": "symbolic link out of the layout",
}


@pytest.mark.parametrize("which", ["layer", "config"])
@pytest.mark.parametrize("kind", sorted(BLOB_CASES))
def test_oci_blob_that_is_not_a_regular_file(tmp_path, kind, which):
    root, layer_blob = layout_with_layer(tmp_path / "layout")
    replace_with(layer_blob if which == "layer" else config_blob(root), kind, tmp_path)
    before = tree_state(tmp_path)
    out = run_hostile("analyze", f"oci-dir:{root}", timeout=60)
    assert_clean_error(out, match=BLOB_CASES[kind], max_seconds=20)
    if which == "layer":
        assert out.stderr_lines[0].startswith("dockopt: error: layer 0 (")
    assert tree_state(tmp_path) == before


def test_oci_index_that_is_a_fifo(tmp_path):
    root, _ = layout_with_layer(tmp_path / "layout")
    (root / "index.json").unlink()
    os.mkfifo(root / "index.json")
    out = run_hostile("analyze", f"oci-dir:{root}", timeout=60)
    assert_clean_error(out, match="index.json .* is a FIFO", max_seconds=20)


def test_oci_blob_may_link_to_another_file_inside_the_layout(tmp_path):
    """Links that stay inside the layout are followed (deduplicating tools make them)."""
    root, layer_blob = layout_with_layer(tmp_path / "layout")
    (root / "store").mkdir()
    os.rename(layer_blob, root / "store" / "layer")
    layer_blob.symlink_to(Path("..") / ".." / "store" / "layer")
    out = run_hostile("analyze", "--format", "json", f"oci-dir:{root}")
    assert out.returncode == 0, out.stderr
    assert '"diff_id"' in out.stdout


@pytest.mark.parametrize("kind", ["docker-archive", "oci-archive"])
def test_archive_that_is_a_fifo_nobody_writes(tmp_path, kind):
    fifo = tmp_path / "image.tar"
    os.mkfifo(fifo)
    out = run_hostile("analyze", f"{kind}:{fifo}", timeout=60)
    assert_clean_error(out, match="is a FIFO with nothing writing to it", max_seconds=20)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_archive_from_a_fifo_with_a_writer_streams(tmp_path):
    archive = docker_archive(tmp_path / "ok.tar", [good_layer()])
    fifo = tmp_path / "image.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as handle:  # blocks until dockopt opens the FIFO for reading
            handle.write(archive.read_bytes())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    # The writer is blocked in open(): dockopt's open completes it, so a writer is present.
    out = run_hostile("analyze", "--format", "json", f"docker-archive:{fifo}", timeout=60)
    writer.join(30)
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "link-to-dev-zero", "a-directory"])
def test_archive_that_is_a_device_or_directory(tmp_path, target):
    if target == "link-to-dev-zero":
        (tmp_path / target).symlink_to("/dev/zero")
    elif target == "a-directory":
        (tmp_path / target).mkdir()
    path = target if target.startswith("/") else str(tmp_path / target)
    out = run_hostile("analyze", f"docker-archive:{path}", timeout=60)
    assert_clean_error(out, match="character device, not a regular file|is a directory", max_seconds=20)


def huge_outer_header(kind: bytes, size: int) -> bytes:
    """The first header of an archive: a pax extended header or GNU long name of `size` bytes."""
    info = tarfile.TarInfo("././@PaxHeader" if kind == tarfile.XHDTYPE else "././@LongLink")
    info.type = kind
    info.size = size
    return info.tobuf(format=tarfile.USTAR_FORMAT if kind == tarfile.XHDTYPE else tarfile.GNU_FORMAT)


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME], ids=["pax", "gnu-longname"])
@pytest.mark.parametrize("source", ["docker-archive", "oci-archive"])
def test_gigabyte_header_in_the_outer_archive_file(tmp_path, kind, source):
    """1 GiB of header data (a sparse file: it costs no disk) is refused before it is read."""
    archive = tmp_path / "huge.tar"
    with open(archive, "wb") as handle:
        handle.write(huge_outer_header(kind, 1 << 30))
        handle.truncate(512 + (1 << 30) + 1024)
    out = run_hostile("analyze", f"{source}:{archive}", timeout=60)
    assert_clean_error(out, match=rf"^dockopt: error: {source}:.*huge.tar: tar header claims 1073741824 bytes",
                       max_rss_mb=150, max_seconds=20)


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME], ids=["pax", "gnu-longname"])
def test_gigabyte_header_in_the_outer_archive_stream(kind):
    out = run_hostile("analyze", "docker-archive:/dev/stdin", input=huge_outer_header(kind, 1 << 30) + b"x" * 65536,
                      timeout=60)
    assert_clean_error(out, match="tar header claims 1073741824 bytes", max_rss_mb=150, max_seconds=20)
