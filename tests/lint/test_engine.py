"""A fixed Dockerfile builds on the real engine and gives a smaller image."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .cases import NAIVE_APT

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def fixed_naive(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("naive")
    (folder / "Dockerfile").write_text(NAIVE_APT)
    out = subprocess.run([sys.executable, "-m", "dockopt", "lint", "--fix", "--fail-on", "never", "Dockerfile"],
                         cwd=folder, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return (folder / "Dockerfile").read_text()


def test_fix_output_for_naive_apt(fixed_naive: str) -> None:
    assert fixed_naive == (
        "FROM dockopt-test/debian:bookworm\n"
        "# tools for the app\n"
        "RUN apt-get update && \\\n"
        "    apt-get install --no-install-recommends -y curl && apt-get clean && rm -rf /var/lib/apt/lists/*\n"
        "CMD [\"curl\", \"--version\"]\n")


def test_fixed_naive_apt_image_is_smaller(build_image, docker_client, fixed_naive: str, record_property) -> None:
    naive_tag = build_image(NAIVE_APT, name="lint-naive-apt")
    fixed_tag = build_image(fixed_naive, name="lint-fixed-apt")
    naive = docker_client.images.get(naive_tag).attrs["Size"]
    fixed = docker_client.images.get(fixed_tag).attrs["Size"]
    base = docker_client.images.get("dockopt-test/debian:bookworm").attrs["Size"]
    record_property("naive_bytes", naive)
    record_property("fixed_bytes", fixed)
    print(f"\nnaive apt image: {naive} bytes; fixed: {fixed} bytes; base: {base} bytes")
    # measurably smaller: at least 10 MB less (apt lists, .deb cache and recommends)
    assert fixed < naive - 10_000_000
    # and the fixed image still works
    out = docker_client.containers.run(fixed_tag, remove=True, labels={"dockopt.test": "1"}, network_mode="none")
    assert b"curl" in out
