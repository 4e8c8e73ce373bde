"""The same image read through every source gives the same layers, filesystem and waste."""

from __future__ import annotations

import json

import pytest

from dockopt.image.model import EntryType
from dockopt.image.reference import open_source
from dockopt.image.scan import scan_image
from dockopt.inspect.analyze import analyze_image

pytestmark = [pytest.mark.engine, pytest.mark.registry]


def _fingerprint(ref: str):
    result = analyze_image(open_source(ref))
    fs = {path: (node.entry.type.value, node.entry.size, node.entry.mode, node.entry.link_target, node.layer)
          for path, node in result.scan.fs.nodes.items()}
    waste = result.waste
    return {
        "diff_ids": [layer.diff_id for layer in result.image.layers],
        "created_by": [layer.created_by for layer in result.image.layers],
        "fs": fs,
        "waste": (waste.total_bytes, waste.final_bytes, waste.wasted_bytes,
                  [(h.path, h.size, h.added_in, h.hidden_in, h.how) for h in waste.top]),
        "per_layer": [(lw.files, lw.bytes, lw.added_bytes, lw.modified_bytes, lw.removed_bytes, lw.wasted_bytes)
                      for lw in waste.layers],
    }


def test_every_source_agrees(exported):
    reference = _fingerprint(exported["docker"])
    assert len(reference["diff_ids"]) == 7
    assert reference["waste"][2] > 50 * 1024 * 1024
    for kind, ref in exported.items():
        got = _fingerprint(ref)
        for key in reference:
            assert got[key] == reference[key], f"{kind} differs in {key}"


def test_compression_is_sniffed(exported):
    # skopeo wrote zstd layers into the OCI archive and gzip into the OCI dir; the save is plain tar.
    seen = {}
    for kind in ("docker-archive", "oci-dir", "oci-archive"):
        result = scan_image(open_source(exported[kind]))
        seen[kind] = {scan.blob.compression for scan in result.layers}
    assert seen == {"docker-archive": {"none"}, "oci-dir": {"gzip"}, "oci-archive": {"zstd"}}


def test_cli_json_same_for_all_sources(exported, dockopt):
    summaries = {}
    for kind, ref in exported.items():
        out = dockopt("analyze", "--format", "json", ref)
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        assert doc["schema_version"] == "1"
        summaries[kind] = doc["summary"]
    assert len({json.dumps(s, sort_keys=True) for s in summaries.values()}) == 1


def test_symlink_and_dirs_in_merged_fs(exported):
    fs = scan_image(open_source(exported["oci-dir"])).fs
    link = fs.get("/d/link")
    assert link is not None and link.entry.type is EntryType.SYMLINK and link.entry.link_target == "/a.txt"
    assert fs.get("/d/sub") is None and fs.get("/d/x") is None  # hidden by the opaque directory
    assert fs.get("/d/z") is not None


def test_bare_name_prefers_engine_then_registry(exported, waste_image):
    local = open_source(waste_image)
    assert scan_image(local).image.source == "docker"
    remote_name = exported["registry"].removeprefix("registry:")  # pushed, then untagged locally
    remote = scan_image(open_source(remote_name))
    assert remote.image.source == "registry"
    assert [layer.diff_id for layer in remote.image.layers] == [
        layer.diff_id for layer in scan_image(local).image.layers]


def test_bare_name_found_nowhere(dockopt):
    out = dockopt("analyze", "127.0.0.1:1/none/such:1")
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "local engine" in out.stderr and "registry" in out.stderr
