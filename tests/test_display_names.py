"""Undecodable file names (bytes that are not UTF-8) in every renderer: one display form,
`\\xNN`, on stdout and in files, in tables and in JSON."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from dockopt.display import display_data, display_path
from tests.hostile import run_hostile
from tests.image.test_hostile import docker_archive

BAD = b"etc/bad\xffname-\xc3(.pem"


def _layer(size: int = 200_000) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for name, data in ((BAD.decode("utf-8", "surrogateescape"), b"x" * size),
                           ("etc/ok.txt", b"fine\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# The second layer overwrites the first one's files: the waste report names them.


def test_display_path_escapes_each_undecodable_byte():
    assert display_path(BAD.decode("utf-8", "surrogateescape")) == "etc/bad\\xffname-\\xc3(.pem"
    assert display_path("plain/é/名") == "plain/é/名"
    assert display_path("\ud800x") == "\\ud800x"


def test_display_data_reaches_keys_and_deep_values():
    bad = "a\udcff"
    data = {bad: [{"path": bad, "n": 1}, (bad,)], "deep": [[[[bad]]]] * 2}
    shown = display_data(data)
    assert shown == {"a\\xff": [{"path": "a\\xff", "n": 1}, ["a\\xff"]], "deep": [[[["a\\xff"]]]] * 2}
    assert data[bad][0]["path"] == bad  # the input is not modified
    deep: list = []
    for _ in range(100_000):  # no recursion
        deep = [deep]
    display_data(deep)


@pytest.mark.parametrize("fmt", ["table", "json"])
@pytest.mark.parametrize("to_file", [True, False])
def test_analyze_report_with_undecodable_names(tmp_path, fmt, to_file):
    archive = docker_archive(tmp_path / "image.tar", [_layer(), _layer(10)])
    out = tmp_path / f"report.{fmt}"
    args = ["analyze", f"docker-archive:{archive}", "--format", fmt, *(["-o", str(out)] if to_file else [])]
    run = run_hostile(*args)
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr[-3000:]
    text = out.read_text(encoding="utf-8") if to_file else run.stdout
    if fmt == "json":
        paths = json.dumps(json.loads(text))
        assert "etc/bad\\\\xffname-\\\\xc3(.pem" in paths  # the display form, as a JSON string value
        assert "\\udcff" not in paths
    else:
        assert "bad\\xffname-\\xc3(.pem" in text


def test_sbom_json_with_undecodable_names(tmp_path):
    archive = docker_archive(tmp_path / "image.tar", [_layer(), _layer(10)])
    out = tmp_path / "sbom.json"
    run = run_hostile("sbom", f"docker-archive:{archive}", "--format", "spdx-json", "-o", str(out))
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-3000:]
    json.loads(out.read_text(encoding="utf-8"))
