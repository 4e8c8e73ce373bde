"""The registry source against the real local registry: multi-arch indexes, and basic and
bearer-token auth through a small auth gate (a real HTTP server) in front of it."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from dockopt.image.model import Platform
from dockopt.image.reference import open_source
from dockopt.image.scan import scan_image

pytestmark = [pytest.mark.engine, pytest.mark.registry]

USER, PASSWORD, TOKEN = "alice", "s3cret", "tok-123"
MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json, "
                  "application/vnd.oci.image.manifest.v1+json")


def push(docker_client, local: str, repo: str, tag: str) -> None:
    docker_client.images.get(local).tag(repo, tag)
    try:
        for line in docker_client.images.push(repo, tag, stream=True, decode=True):
            assert "error" not in line, line
    finally:
        docker_client.images.remove(f"{repo}:{tag}")


def manifest_descriptor(registry: str, repo: str, tag: str, platform: dict) -> dict:
    resp = httpx.get(f"http://{registry}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES})
    resp.raise_for_status()
    return {"mediaType": resp.headers["content-type"], "digest": resp.headers["docker-content-digest"],
            "size": len(resp.content), "platform": platform}


@pytest.fixture(scope="session")
def multiarch(docker_client, registry_addr, waste_image) -> str:
    """An index whose amd64 entry is the waste image and whose arm64 entry is busybox."""
    repo = "dockopt-test/multi"
    push(docker_client, waste_image, f"{registry_addr}/{repo}", "amd64")
    push(docker_client, "dockopt-test/busybox:latest", f"{registry_addr}/{repo}", "arm64")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
             "manifests": [manifest_descriptor(registry_addr, repo, "amd64", {"os": "linux", "architecture": "amd64"}),
                           manifest_descriptor(registry_addr, repo, "arm64",
                                               {"os": "linux", "architecture": "arm64", "variant": "v8"})]}
    resp = httpx.put(f"http://{registry_addr}/v2/{repo}/manifests/multi", content=json.dumps(index),
                     headers={"Content-Type": index["mediaType"]})
    assert resp.status_code == 201, resp.text
    return f"{registry_addr}/{repo}:multi"


def test_platform_selects_from_index(multiarch):
    default = scan_image(open_source(f"registry:{multiarch}", Platform("linux", "amd64")))
    arm = scan_image(open_source(f"registry:{multiarch}", Platform.parse("linux/arm64")))
    assert len(default.image.layers) == 7
    assert len(arm.image.layers) == 1


def test_missing_platform_is_one_line(multiarch, dockopt):
    out = dockopt("analyze", "--platform", "linux/s390x", f"registry:{multiarch}")
    assert out.returncode == 2 and "no manifest for platform linux/s390x" in out.stderr
    assert "linux/arm64/v8" in out.stderr


def test_missing_tag_is_one_line(registry_addr, dockopt):
    out = dockopt("analyze", f"registry:{registry_addr}/dockopt-test/multi:nope")
    assert out.returncode == 2 and "not found" in out.stderr


class AuthGate:
    """Forwards /v2/ to the real registry once the client authenticates (basic or bearer)."""

    def __init__(self, upstream: str, mode: str):
        gate = self
        self.mode, self.upstream, self.token_requests = mode, upstream, 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _deny(self):
                self.send_response(401)
                if gate.mode == "basic":
                    self.send_header("WWW-Authenticate", 'Basic realm="test"')
                else:
                    realm = f"http://127.0.0.1:{gate.port}/token"
                    self.send_header("WWW-Authenticate", f'Bearer realm="{realm}",service="test",scope="repository:x:pull"')
                self.end_headers()

            def do_GET(self):
                auth = self.headers.get("Authorization", "")
                basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                if self.path.startswith("/token"):
                    gate.token_requests += 1
                    if auth != basic:
                        self.send_response(401)
                        self.end_headers()
                        return
                    body = json.dumps({"token": TOKEN}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                expected = basic if gate.mode == "basic" else f"Bearer {TOKEN}"
                if auth != expected:
                    self._deny()
                    return
                req = urllib.request.Request(f"http://{gate.upstream}{self.path}",
                                             headers={"Accept": self.headers.get("Accept", "*/*")})
                try:
                    with urllib.request.urlopen(req) as resp:
                        body, status, headers = resp.read(), resp.status, resp.headers
                except urllib.error.HTTPError as err:
                    body, status, headers = err.read(), err.code, err.headers
                self.send_response(status)
                for key in ("Content-Type", "Docker-Content-Digest"):
                    if headers.get(key):
                        self.send_header(key, headers[key])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["basic", "bearer"])
def gate(request, registry_addr, docker_client):
    push(docker_client, "dockopt-test/busybox:latest", f"{registry_addr}/dockopt-test/authbox", "1")
    g = AuthGate(registry_addr, request.param)
    yield g
    g.close()


def test_auth_with_credentials(gate, dockopt):
    env = {"DOCKOPT_REGISTRY_USERNAME": USER, "DOCKOPT_REGISTRY_PASSWORD": PASSWORD}
    out = dockopt("analyze", "--format", "json", f"registry:127.0.0.1:{gate.port}/dockopt-test/authbox:1", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["image"]["layers"] == 1
    if gate.mode == "bearer":
        assert gate.token_requests >= 1


def test_auth_with_wrong_credentials(gate, dockopt):
    env = {"DOCKOPT_REGISTRY_USERNAME": USER, "DOCKOPT_REGISTRY_PASSWORD": "wrong"}
    out = dockopt("analyze", f"registry:127.0.0.1:{gate.port}/dockopt-test/authbox:1", env=env)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1
    assert "authentication" in out.stderr or "refused" in out.stderr


def test_garbage_from_registry(dockopt):
    """A registry answering garbage (cannot be produced with the real one): one line, exit 2."""
    class Garbage(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = b"\x00\xffnot json"
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        out = dockopt("analyze", f"registry:127.0.0.1:{server.server_address[1]}/x/y:1")
    finally:
        server.shutdown()
    assert out.returncode == 2 and "invalid JSON" in out.stderr and "Traceback" not in out.stderr
