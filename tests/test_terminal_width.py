"""Every command's terminal output fits 80 and 120 columns (COLUMNS, as rich and the plain
renderers read it), without cutting identifiers: rule ids, vulnerability ids and sizes stay whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import BUSYBOX_BASE, run_dockopt

OSV = Path(__file__).parent / "vuln" / "data" / "osv"
WIDTHS = (80, 120)
LONG = "/opt/a-rather-long-directory-name/with/several/levels/of/nesting/inside/it"

DOCKERFILE = """\
FROM debian:bookworm-slim
RUN apt-get update
RUN apt-get install -y curl python3-pip build-essential
RUN curl -fsSL https://example.com/install.sh | sh
ENV GITHUB_TOKEN=ghp_000000000000000000000000000000000000
ADD https://example.com/some/really/long/path/to/a/release/archive-with-a-long-name-1.2.3.tar.gz /tmp/
CMD python3 -m http.server
"""


def fits(text: str, width: int) -> None:
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_wide, f"{len(too_wide)} lines wider than {width}: {too_wide[:3]}"


def at(width: int, *args: str, **kw):
    proc = run_dockopt(*args, env={"COLUMNS": str(width), **kw.pop("env", {})}, **kw)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.mark.parametrize("width", WIDTHS)
def test_lint(tmp_path, width):
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE)
    proc = at(width, "lint", str(path))
    assert proc.returncode == 1
    fits(proc.stdout, width)
    ids = {f["rule_id"] for f in json.loads(run_dockopt("lint", "--format", "json", str(path)).stdout)["findings"]}
    for rule_id in ids:
        assert rule_id in proc.stdout
    assert "findings in 1 file:" in proc.stdout  # singular and plural right
    if width == 80:  # narrow: each message on its own indented lines
        assert any(line.startswith("    ") for line in proc.stdout.splitlines())


def test_lint_quiet_prints_only_findings(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text(DOCKERFILE)
    proc = run_dockopt("lint", "-q", str(path))
    assert proc.returncode == 1 and "DO203" in proc.stdout
    assert "finding" not in proc.stdout.splitlines()[-1] and proc.stderr == ""
    clean = tmp_path / "clean.Dockerfile"
    clean.write_text("FROM scratch\nCOPY a /a\n")
    assert run_dockopt("lint", "-q", "--ignore", "DO201", "--ignore", "DO205", str(clean)).stdout == ""


@pytest.mark.parametrize("width", WIDTHS)
def test_context(tmp_path, width):
    deep = tmp_path / LONG.strip("/")
    deep.mkdir(parents=True)
    (deep / "a-file-with-a-name-long-enough-to-need-shortening-in-the-middle.bin").write_bytes(b"x" * 5000)
    (tmp_path / ".env").write_text("SECRET_KEY=abc\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")
    proc = at(width, "context", str(tmp_path))
    fits(proc.stdout, width)
    assert "…" in proc.stdout and ".env" in proc.stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_db_status_and_scan_of_an_sbom(tmp_path, width):
    db = tmp_path / "osv.sqlite3"
    assert run_dockopt("db", "import", "--db", str(db), str(OSV)).returncode == 0
    fits(at(width, "db", "status", "--db", str(db)).stdout, width)
    sbom = tmp_path / "bom.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "requests", "version": "2.25.1", "purl": "pkg:pypi/requests@2.25.1"}]}))
    proc = at(width, "scan", "--db", str(db), "--sbom", str(sbom))
    fits(proc.stdout, width)
    assert "GHSA-j8r2-6x86-q33q" in proc.stdout and "1 vulnerability (1 medium) in 1 package" in proc.stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_doctor(tmp_path, width):
    proc = at(width, "doctor", env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine-here.sock",
                                    "XDG_CACHE_HOME": str(tmp_path)})
    fits(proc.stdout, width)


@pytest.fixture(scope="session")
def wide_image(build_image) -> str:
    return build_image(
        f"FROM {BUSYBOX_BASE}\n"
        f"RUN mkdir -p {LONG} && dd if=/dev/zero of={LONG}/a-download-with-a-long-file-name.tar bs=1024 count=3000"
        " 2>/dev/null && cp /bin/busybox /bin/setuid-shell && chmod u+s /bin/setuid-shell\n"
        f"RUN rm -rf {LONG}\n"
        "ENV AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\n"
        "EXPOSE 22\n",
        name="wide")


@pytest.mark.engine
@pytest.mark.parametrize("width", WIDTHS)
def test_analyze_sbom_disk_prune(wide_image, width):
    proc = at(width, "analyze", f"docker:{wide_image}")
    assert proc.returncode in (0, 1), proc.stderr
    fits(proc.stdout, width)
    report = json.loads(run_dockopt("analyze", "-q", "--format", "json", f"docker:{wide_image}").stdout)
    for finding in report["findings"]:
        assert finding["rule_id"] in proc.stdout  # ids are never cut
    assert "layer 0 (base image)" in proc.stdout and "(?)" not in proc.stdout
    assert "base image: 1 layer (" in proc.stdout
    for args in (("sbom", f"docker:{wide_image}"), ("disk",), ("prune", "--images", "--filter", "label=dockopt.test")):
        out = at(width, *args)
        assert out.returncode == 0, out.stderr
        fits(out.stdout, width)
