"""A misbehaving registry on 127.0.0.1 (endless bodies, drips, redirect loops, wrong lengths,
hostile token services) and malformed references: every case is one error line, exit 2, in
bounded time and memory."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import zlib

import pytest

from tests.hostile import assert_clean_error, run_hostile

SERVER_SECONDS = 30
"""No handler of the test server runs longer than this, whatever the client does."""
LAYER = b"\0" * 4096


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": [_digest(LAYER)]}}).encode()
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _digest(CONFIG),
               "size": len(CONFIG)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": _digest(LAYER),
                "size": len(LAYER)}]}).encode()


def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    return b"".join(compressor.compress(chunk) for _ in range(256)) + compressor.flush()


GZIP_BOMB = _gzip_bomb()


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _for(self, seconds: float):
        """Yield until the client goes away or the bound passes (the server always stops)."""
        end = time.monotonic() + min(seconds, SERVER_SECONDS)
        while time.monotonic() < end:
            yield

    def do_GET(self) -> None:  # noqa: C901 - one branch per misbehaviour
        repo = self.path.split("/")[2] if self.path.startswith("/v2/") else ""
        port = self.server.server_address[1]
        try:
            if self.path == "/v2/":
                self._send(200, b"{}")
            elif repo == "endless":  # a body that never ends, no length
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                self.send_header("Connection", "close")
                self.end_headers()
                for _ in self._for(SERVER_SECONDS):
                    self.wfile.write(b" " * 65536)
            elif repo == "huge":  # announces 1 GB
                self.send_response(200)
                self.send_header("Content-Length", str(1 << 30))
                self.end_headers()
                self.wfile.write(b"{")
            elif repo == "drip":  # one byte at a time, each inside any read timeout
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in self._for(SERVER_SECONDS):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif repo == "dripheaders":  # the headers themselves never finish
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                for _ in self._for(SERVER_SECONDS):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif repo == "gzipbomb":  # a small body that a decoding client inflates to 256 MB
                self._send(200, GZIP_BOMB, {"Content-Encoding": "gzip"})
            elif repo == "loop":
                self._send(302, b"", {"Location": self.path})
            elif repo == "short":  # claims 1000 bytes, sends 10, closes
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b'{"schemaV')
                self.close_connection = True
            elif repo in ("badtoken", "listtoken", "badrealm", "filerealm"):
                auth = self.headers.get("Authorization", "")
                if auth.startswith("Bearer "):
                    self._send(200, MANIFEST)
                    return
                realm = {"badrealm": "http://[::1", "filerealm": "file:///etc/passwd"}.get(
                    repo, f"http://127.0.0.1:{port}/token/{repo}")
                self._send(401, b"", {"WWW-Authenticate": f'Bearer realm="{realm}",service="t"'})
            elif self.path.startswith("/token/listtoken"):
                self._send(200, b"[1, 2]")
            elif self.path.startswith("/token/badtoken"):
                self._send(200, b'{"token": 5}')
            elif repo == "refused":
                self._send(500, json.dumps({"errors": [{"code": "UNKNOWN", "message": "disk on fire"}]}).encode())
            elif repo == "garbageerror":
                self._send(404, b"\xff[[[" * 100)
            elif repo == "slowlayer":
                if "/manifests/" in self.path:
                    self._send(200, MANIFEST, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
                elif self.path.endswith(_digest(CONFIG)):
                    self._send(200, CONFIG)
                else:  # the layer drips
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(LAYER)))
                    self.end_headers()
                    for _ in self._for(SERVER_SECONDS):
                        self.wfile.write(b"\0")
                        self.wfile.flush()
                        time.sleep(0.05)
            else:
                self._send(404, b"")
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def hostile_registry():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("repo, message", [
    ("endless", r"manifest of endless is too large \(over 16777216 bytes\)"),
    ("huge", r"manifest of huge is too large \(1073741824 bytes"),
    ("drip", r"manifest of drip: timed out \(deadline 2 s\)"),
    ("dripheaders", r"GET dripheaders/manifests/x: timed out \(deadline 2 s\)"),
    ("loop", r"too many redirects"),
    ("gzipbomb", r"gzipbomb:x: manifest: invalid JSON"),
    ("short", r"manifest of short: "),
    ("listtoken", r"token service sent no token \(expected an object with a `token`, got a list\)"),
    ("badtoken", r"token service sent no token \(no non-empty string `token` or `access_token`\)"),
    ("badrealm", r"token service http://\[::1"),
    ("filerealm", r"token service 'file:///etc/passwd' is not an http\(s\) URL"),
    ("refused", r"answered HTTP 500 \(UNKNOWN: disk on fire\)"),
    ("garbageerror", r"garbageerror: x not found in the registry$"),
    ("slowlayer", r"layer 0 \(\w+\): registry 127.0.0.1:\d+: download of sha256:\w+ is too slow \(\d+ bytes/s after \d+ s"),
])
def test_misbehaving_registry_is_one_line(hostile_registry, repo, message):
    run = run_hostile("analyze", f"registry:{hostile_registry}/{repo}:x", "--timeout", "2", timeout=60)
    assert_clean_error(run, message, max_rss_mb=150, max_seconds=15)


def test_timeout_from_the_environment(hostile_registry):
    started = time.monotonic()
    run = run_hostile("sbom", f"registry:{hostile_registry}/drip:x", env={"DOCKOPT_REGISTRY_TIMEOUT": "1"},
                      timeout=60)
    assert_clean_error(run, r"timed out \(deadline 1 s\)")
    assert time.monotonic() - started < 8


@pytest.mark.parametrize("reference, message", [
    ("registry:[::1/x:y", r"invalid registry host '\[::1'"),
    ("registry:localhost:99999999/x", r"invalid port '99999999'"),
    ("registry:localhost:http/x", r"invalid registry host 'localhost:http'"),
    ("registry:localhost:5000/" + "a" * 100_000, r"invalid image reference \(100015 characters"),
    ("registry:example.com/" + "a" * 251, r"longer than 255 characters"),
    ("registry:example.com/a:" + "t" * 129, r"invalid tag .* at most 128"),
    ("registry:example.com/a@sha512:" + "a" * 128, r"unsupported digest algorithm 'sha512'"),
    ("registry:example.com/a@sha256:" + "A" * 64, r"64 lowercase hex digits"),
    ("registry:-x.com/a", r"invalid registry host '-x\.com'"),
])
def test_malformed_references_are_refused_before_any_request(reference, message):
    run = run_hostile("analyze", reference, "--timeout", "2", timeout=60)
    assert_clean_error(run, message, max_seconds=10)


def test_references_docker_accepts_still_parse():
    from dockopt.image.reference import parse_docker_name

    assert str(parse_docker_name("[::1]:5000/a/b:c")) == "[::1]:5000/a/b:c"
    assert str(parse_docker_name("my-registry.example.com:443/team/app_x__y@sha256:" + "a" * 64)).endswith("a" * 64)
    assert parse_docker_name("ubuntu").repository == "library/ubuntu"
    assert parse_docker_name("localhost/x").registry == "localhost"


def test_invalid_timeout_is_a_usage_error():
    run = run_hostile("analyze", "registry:127.0.0.1:1/x", "--timeout", "abc")
    assert run.returncode == 2 and "Invalid value for '--timeout'" in run.stderr


def test_tls_to_a_plain_http_server_is_a_registry_error(hostile_registry):
    from dockopt.errors import RegistryError
    from dockopt.image.registry_client import RegistryClient

    client = RegistryClient(hostile_registry, insecure=False, credentials=("u", "p"), timeout=5)
    try:
        with pytest.raises(RegistryError, match=r"registry 127\.0\.0\.1:\d+: GET x/manifests/y: "):
            client.manifest("x", "y")
    finally:
        client.close()
