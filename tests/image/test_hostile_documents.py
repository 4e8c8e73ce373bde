"""Image documents of the wrong shape or depth, built here, read through the real CLI: each is
exit 2 with one line naming the document and the field, no traceback, bounded memory; documents
that fit the specs (null optional fields included) still read. And a 6 MB config stays cheap."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.hostile import assert_clean_error, run_hostile


def tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


LAYER = tar_bytes([("etc/ok", b"fine\n")])
DIFF_ID = "sha256:" + hashlib.sha256(LAYER).hexdigest()


def good_config(**changes) -> dict:
    config = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [DIFF_ID]},
              "history": [{"created_by": "/bin/sh -c #(nop) COPY file:x in /etc/ok"}],
              "config": {"Env": ["PATH=/usr/bin"], "Labels": {"a": "b"}}}
    config.update(changes)
    return config


def docker_archive(path: Path, config: dict | bytes, manifest: bytes | None = None) -> Path:
    data = config if isinstance(config, bytes) else json.dumps(config).encode()
    name = hashlib.sha256(data).hexdigest() + ".json"
    if manifest is None:
        manifest = json.dumps([{"Config": name, "RepoTags": ["hostile:1"], "Layers": ["l/layer.tar"]}]).encode()
    path.write_bytes(tar_bytes([(name, data), ("l/layer.tar", LAYER), ("manifest.json", manifest)]))
    return path


def deep(n: int = 100_000) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n


ARCHIVE_CASES = {
    "deep config": (lambda: deep(), None, r"config blob sha256:[0-9a-f]{12}…: nested deeper than 100 levels"),
    "deep manifest.json": (lambda: good_config(), b"[" * 100_000 + b"]" * 100_000,
                           r"manifest\.json: nested deeper than 100 levels"),
    "rootfs a list": (lambda: good_config(rootfs=[DIFF_ID]), None,
                      r"config blob sha256:\w{12}…: rootfs: expected an object, got a list$"),
    "diff_ids a number": (lambda: good_config(rootfs={"type": "layers", "diff_ids": 5}), None,
                          r"config blob sha256:\w{12}…: rootfs\.diff_ids: expected a list of strings, got a number$"),
    "diff_id a number": (lambda: good_config(rootfs={"type": "layers", "diff_ids": [5]}), None,
                         r"rootfs\.diff_ids\[0\]: expected a string, got a number$"),
    "no rootfs": (lambda: {"architecture": "amd64", "os": "linux"}, None, r"rootfs: expected a value"),
    "labels a list": (lambda: good_config(config={"Labels": ["a=b"]}), None,
                      r"config\.Labels: expected an object of strings, got a list$"),
    "label value a number": (lambda: good_config(config={"Labels": {"a": 1}}), None,
                             r"config\.Labels\.a: expected a string, got a number$"),
    "env a string": (lambda: good_config(config={"Env": "A=b"}), None,
                     r"config\.Env: expected a list of strings, got a string$"),
    "history an object": (lambda: good_config(history={"created_by": "x"}), None,
                          r"history: expected a list of objects, got an object$"),
    "created_by a number": (lambda: good_config(history=[{"created_by": 7}]), None,
                            r"history\[0\]\.created_by: expected a string, got a number$"),
    "empty_layer a string": (lambda: good_config(history=[{"created_by": "x", "empty_layer": "yes"}]), None,
                             r"history\[0\]\.empty_layer: expected a boolean"),
    "config a list": (lambda: good_config(config=[]), None, r"config blob \S+ config: expected an object, got a list$"),
    "manifest.json an object": (lambda: good_config(), b'{"Config": "x"}',
                                r"manifest\.json: expected a list of objects, got an object$"),
    "Layers a string": (lambda: good_config(), b'[{"Config": "x", "Layers": "l/layer.tar"}]',
                        r"manifest\.json: \[0\]\.Layers: expected a list of strings, got a string$"),
    "RepoTags a string": (lambda: good_config(), b'[{"Config": "x", "Layers": [], "RepoTags": "a:1"}]',
                          r"\[0\]\.RepoTags: expected a list of strings, got a string$"),
}


@pytest.mark.parametrize("case", list(ARCHIVE_CASES))
def test_docker_archive_documents_of_the_wrong_shape(case, tmp_path):
    config, manifest, message = ARCHIVE_CASES[case]
    archive = docker_archive(tmp_path / "image.tar", config(), manifest)
    before = archive.read_bytes()
    run = run_hostile("analyze", f"docker-archive:{archive}", "-q", "--format", "json")
    assert_clean_error(run, message, max_rss_mb=200, max_seconds=60)
    assert archive.read_bytes() == before


def test_null_optional_fields_are_accepted(tmp_path):
    """Docker writes `"Env": null`, `"Labels": null` …; the specs allow absent or null optional fields."""
    config = good_config(config={"Env": None, "Labels": None, "Cmd": None, "Entrypoint": None, "Volumes": None,
                                 "OnBuild": None, "User": ""},
                         history=[{"created_by": "x", "comment": None, "empty_layer": None}], variant=None)
    archive = docker_archive(tmp_path / "image.tar", config)
    run = run_hostile("analyze", f"docker-archive:{archive}", "-q", "--format", "json")
    assert run.returncode in (0, 1), run.stderr
    assert json.loads(run.stdout)["layers"][0]["diff_id"] == DIFF_ID


def oci_layout(root: Path, *, index: dict | bytes | None = None, manifest: dict | None = None,
               layout: bytes = b'{"imageLayoutVersion": "1.0.0"}') -> Path:
    """An OCI image layout around one layer; `index`/`manifest` replace the generated documents."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return "sha256:" + digest

    config = json.dumps(good_config()).encode()
    doc = manifest or {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config),
                                  "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": put(LAYER),
                                   "size": len(LAYER)}]}
    data = json.dumps(doc).encode()
    top = index if index is not None else {
        "schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                           "digest": put(data), "size": len(data),
                                           "platform": {"os": "linux", "architecture": "amd64"}}]}
    (root / "index.json").write_bytes(top if isinstance(top, bytes) else json.dumps(top).encode())
    (root / "oci-layout").write_bytes(layout)
    return root


OCI_CASES = {
    "platform a string": (dict(index={"schemaVersion": 2, "manifests": [{"digest": "sha256:" + "0" * 64,
                                                                         "platform": "linux/amd64"}]}),
                          r"index\.json: manifests\[0\]\.platform: expected an object, got a string$"),
    "manifests an object": (dict(index={"schemaVersion": 2, "manifests": {"digest": "x"}}),
                            r"index\.json: manifests: expected a list of objects, got an object$"),
    "descriptor size a string": (dict(index={"manifests": [{"digest": "sha256:" + "0" * 64, "size": "12"}]}),
                                 r"manifests\[0\]\.size: expected an integer \(at least 0\), got a string$"),
    "deep index.json": (dict(index=deep()), r"index\.json: nested deeper than 100 levels$"),
    "manifest layers an object": (dict(manifest={"config": {"digest": "sha256:" + "1" * 64}, "layers": {}}),
                                  r"manifest sha256:\w+: layers: expected a list of objects, got an object$"),
    "oci-layout version a number": (dict(layout=b'{"imageLayoutVersion": 1}'),
                                    r"oci-layout: imageLayoutVersion: expected a string, got a number$"),
}


@pytest.mark.parametrize("case", list(OCI_CASES))
def test_oci_layout_documents_of_the_wrong_shape(case, tmp_path):
    changes, message = OCI_CASES[case]
    root = oci_layout(tmp_path / "layout", **changes)
    run = run_hostile("analyze", f"oci-dir:{root}", "-q", "--format", "json")
    assert_clean_error(run, message, max_rss_mb=200, max_seconds=60)


def test_a_good_oci_layout_still_reads(tmp_path):
    root = oci_layout(tmp_path / "layout")
    run = run_hostile("analyze", f"oci-dir:{root}", "-q", "--format", "json")
    assert run.returncode in (0, 1), run.stderr
    assert json.loads(run.stdout)["layers"][0]["diff_id"] == DIFF_ID


SIX_MB_CONFIGS = {
    # 600,000 ENV pairs in one history line: was 6.4 s and 211 MB (every value through every
    # token rule, every pair listed twice).
    "one ENV line": lambda: good_config(history=[
        {"created_by": "/bin/sh -c #(nop)  ENV " + " ".join(f"K{i}=v{i}" for i in range(600_000)),
         "empty_layer": True}, {"created_by": "x"}]),
    "100,000 history entries": lambda: good_config(history=[
        {"created_by": f"/bin/sh -c #(nop)  ENV KEY{i}=value{i}", "empty_layer": True} for i in range(100_000)]
        + [{"created_by": "x"}]),
    "200,000 ENV entries": lambda: good_config(config={"Env": [f"KEY{i}=value-{i}-xxxxxxxxxxxxxxxxxxxx"
                                                                for i in range(200_000)]}),
    "200,000 labels": lambda: good_config(config={"Labels": {f"label.{i}": f"value-{i}-xxxxxxxx"
                                                              for i in range(200_000)}}),
}


@pytest.mark.parametrize("case", list(SIX_MB_CONFIGS))
def test_a_six_megabyte_config_is_cheap(case, tmp_path):
    config = json.dumps(SIX_MB_CONFIGS[case]()).encode()
    assert 4 << 20 < len(config) < 16 << 20
    archive = docker_archive(tmp_path / "image.tar", config)
    run = run_hostile("analyze", f"docker-archive:{archive}", "-q", "--format", "json")
    assert run.returncode in (0, 1), run.stderr[-2000:]
    assert run.peak_rss_mb < 150, f"peak RSS {run.peak_rss_mb:.0f} MB"
    assert run.seconds < 30, f"took {run.seconds:.1f} s"  # ~2 s here; a wide margin for a busy machine
