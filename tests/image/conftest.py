"""Images for the image-model tests, and the same image exported to every source kind."""

from __future__ import annotations

import os
import subprocess

import pytest

MB = 1024 * 1024
BIG = 50 * MB
OLD_A = 300_000
NEW_A = 1000

# Layer 1 writes a 50 MiB file that layer 2 deletes; /a.txt is replaced in layer 4; /d is deleted
# and re-created in layer 6 (an opaque directory on overlay2); /same is written twice in one RUN.
WASTE_DOCKERFILE = f"""\
FROM dockopt-test/busybox:latest
RUN dd if=/dev/zero of=/big.bin bs=1048576 count=50 2>/dev/null
RUN rm /big.bin
COPY a.txt /a.txt
RUN dd if=/dev/zero of=/a.txt bs={NEW_A} count=1 2>/dev/null
RUN mkdir -p /d/sub && dd if=/dev/zero of=/d/x bs=1000 count=7 2>/dev/null && echo hi > /d/sub/y
RUN rm -rf /d && mkdir /d && echo new > /d/z && ln -s /a.txt /d/link
"""


@pytest.fixture(scope="session")
def waste_image(build_image) -> str:
    return build_image(WASTE_DOCKERFILE, files={"a.txt": "x" * OLD_A}, name="waste")


@pytest.fixture(scope="session")
def exported(waste_image, tmp_path_factory, docker_client, registry_addr) -> dict[str, str]:
    """The waste image as every source kind: docker, docker-archive, oci-dir, oci-archive (zstd), registry."""
    out = tmp_path_factory.mktemp("exported")
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    archive = out / "save.tar"
    with open(archive, "wb") as fh:
        for chunk in docker_client.api.get_image(waste_image):
            fh.write(chunk)
    subprocess.run(["skopeo", "copy", "-q", "--src-daemon-host", host, f"docker-daemon:{waste_image}",
                    f"oci:{out / 'oci'}:latest"], check=True)
    subprocess.run(["skopeo", "copy", "-q", "--src-daemon-host", host, "--dest-compress-format", "zstd",
                    f"docker-daemon:{waste_image}", f"oci-archive:{out / 'oci.tar'}"], check=True)
    repo = f"{registry_addr}/dockopt-test/waste"
    tag = waste_image.rsplit(":", 1)[1]
    image = docker_client.images.get(waste_image)
    image.tag(repo, tag)
    try:
        for line in docker_client.images.push(repo, tag, stream=True, decode=True):
            assert "error" not in line, line
    finally:
        docker_client.images.remove(f"{repo}:{tag}")
    return {
        "docker": f"docker:{waste_image}",
        "docker-archive": f"docker-archive:{archive}",
        "oci-dir": f"oci-dir:{out / 'oci'}",
        "oci-archive": f"oci-archive:{out / 'oci.tar'}",
        "registry": f"registry:{repo}:{tag}",
    }
