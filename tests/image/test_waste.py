"""Waste figures against independent computations: the sizes the Dockerfile wrote, and the
engine's own view of the final filesystem (`docker export` of a container)."""

from __future__ import annotations

import tarfile
import tempfile

import pytest

from dockopt.image.model import EntryType
from dockopt.image.reference import open_source
from dockopt.inspect.analyze import analyze_image
from tests.image.conftest import BIG, NEW_A, OLD_A

pytestmark = pytest.mark.engine

RUNTIME_PATHS = ("/.dockerenv", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/console")


@pytest.fixture(scope="session")
def analyzed(waste_image):
    return analyze_image(open_source(f"docker:{waste_image}"))


def test_wasted_bytes_equal_what_the_dockerfile_wrote(analyzed):
    waste = analyzed.waste
    hidden = {(h.path, h.size, h.added_in, h.hidden_in, h.how) for h in analyzed.scan.fs.hidden}
    assert ("/big.bin", BIG, 1, 2, "deleted") in hidden
    assert ("/a.txt", OLD_A, 3, 4, "replaced") in hidden
    assert ("/d/x", 7000, 5, 6, "deleted") in hidden
    assert ("/d/sub/y", 3, 5, 6, "deleted") in hidden
    assert waste.wasted_bytes == BIG + OLD_A + 7000 + 3
    # The surviving copy of /a.txt is not waste (dive counts it: its issue #684).
    assert analyzed.scan.fs.get("/a.txt").entry.size == NEW_A
    assert waste.total_bytes == waste.final_bytes + waste.wasted_bytes
    assert waste.efficiency == pytest.approx(waste.final_bytes / waste.total_bytes)


def test_per_layer_changes(analyzed):
    layers = analyzed.waste.layers
    assert layers[1].added_bytes == BIG and layers[1].wasted_bytes == BIG
    assert layers[2].removed_bytes == BIG and layers[2].bytes == 0
    assert layers[4].modified_bytes == NEW_A
    assert layers[6].removed_bytes == 7003
    assert layers[1].created_by.startswith("RUN dd if=/dev/zero of=/big.bin")
    assert layers[3].created_by.startswith("COPY ")


def test_opaque_directory_was_exercised(analyzed):
    kinds = {e.type for e in analyzed.scan.layers[6].entries}
    assert EntryType.OPAQUE in kinds or EntryType.WHITEOUT in kinds


def test_base_split_finds_the_busybox_base(analyzed):
    assert analyzed.base.layers == 1
    assert analyzed.base.method == "engine"  # the base image is in the engine: exact prefix match
    waste = analyzed.waste
    assert waste.user_wasted_bytes == waste.wasted_bytes
    assert waste.user_wasted_ratio == pytest.approx(waste.wasted_bytes / waste.user_bytes)


def test_merged_filesystem_equals_docker_export(analyzed, docker_client, waste_image):
    container = docker_client.containers.create(waste_image, labels={"dockopt.test": "1"})
    try:
        with tempfile.TemporaryFile() as fh:
            for chunk in container.export():
                fh.write(chunk)
            fh.seek(0)
            with tarfile.open(fileobj=fh) as tar:
                exported = {"/" + m.name.removeprefix("./").lstrip("/"): m.size
                            for m in tar.getmembers() if m.isreg()}
    finally:
        container.remove(force=True)
    for path in RUNTIME_PATHS:
        exported.pop(path, None)
    ours = {path: node.entry.size for path, node in analyzed.scan.fs.files()}
    assert ours == exported


def test_waste_findings_point_at_layers(analyzed):
    findings = [f for f in analyzed.findings if f.rule_id == "waste.file"]
    big = next(f for f in findings if f.location.path == "/big.bin")
    assert big.location.layer_index == 1 and big.estimated_bytes == BIG
    assert "layer 2" in big.message
