"""A small Registry v2 client over httpx: manifests and streamed blobs, with anonymous, basic
and bearer-token auth (the WWW-Authenticate challenge flow)."""

from __future__ import annotations

import base64
import os
import re
import ssl
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from dockopt.envvars import registry_credentials
from dockopt.errors import BadReferenceError, DockoptError, RegistryError
from dockopt.image.registry_transport import DeadlineTransport, deadline
from dockopt.safeload import load_json, load_json_object, read_regular_file, type_name

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


def is_local_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name in ("localhost", "[::1]") or name.startswith("127.")


def docker_config_credentials(host: str) -> tuple[str, str] | None:
    """Credentials for `host` from $DOCKOPT_REGISTRY_USERNAME/PASSWORD or the docker config file."""
    from_env = registry_credentials()
    if from_env is not None:
        return from_env
    folder = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    if not (folder / "config.json").is_file():
        return None
    try:
        config = load_json_object(read_regular_file(folder / "config.json", "docker config", 1 << 20),
                                  "docker config")
    except DockoptError:  # an unusable config is no credentials
        return None
    auths = config.get("auths") if isinstance(config.get("auths"), dict) else {}
    for key in (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/"):
        entry = auths.get(key)
        encoded = entry.get("auth") if isinstance(entry, dict) else None
        if isinstance(encoded, str) and encoded:
            try:
                user, _, password = base64.b64decode(encoded).decode().partition(":")
                return user, password
            except (ValueError, UnicodeDecodeError):
                return None
    return None


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = dict((k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', rest[:8192]))
    return scheme.lower(), params


DEFAULT_TIMEOUT = 60.0
"""Seconds a registry request may take: the whole of a manifest, token or config request, or
the headers of a layer download (the layer itself must then keep MIN_BLOB_RATE)."""
MIN_BLOB_RATE = 10 << 10
"""Bytes per second a layer download must average once it has run for the timeout: a
multi-GB layer on a slow link still completes, a one-byte drip is cut off."""
MAX_MANIFEST = 16 << 20
MAX_TOKEN_RESPONSE = 1 << 20
MAX_ERROR_BODY = 64 << 10

CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict, ssl.SSLError, OSError,
    UnicodeError)
"""Everything the HTTP stack can raise for a bad server, URL or connection (httpx's whole
hierarchy, TLS and socket errors): each becomes one RegistryError at the boundary."""


def describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"unreachable ({str(exc)[:200]})"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


class RegistryClient:
    def __init__(self, host: str, insecure: bool | None = None, credentials: tuple[str, str] | None = None,
                 timeout: float | None = None):
        self.host = host
        plain = is_local_host(host) if insecure is None else insecure
        self.base = f"{'http' if plain else 'https'}://{host}"
        self.credentials = credentials if credentials is not None else docker_config_credentials(host)
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.http = httpx.Client(transport=DeadlineTransport(), timeout=httpx.Timeout(self.timeout),
                                 follow_redirects=True, max_redirects=10)
        self._auth_header: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

    @contextmanager
    def _boundary(self, doing: str) -> Iterator[None]:
        """Any client exception while `doing` becomes one RegistryError naming the host."""
        try:
            yield
        except CLIENT_ERRORS as exc:
            reason = f"timed out (deadline {self.timeout:g} s)" if isinstance(exc, httpx.TimeoutException) \
                else describe(exc)
            raise RegistryError(f"registry {self.host}: {doing}: {reason}") from None

    def _read_capped(self, response: httpx.Response, what: str, cap: int) -> bytes:
        """The body, read as it arrives and refused past `cap` bytes (never read whole first)."""
        length = response.headers.get("content-length", "")
        if length.isdigit() and len(length) < 20 and int(length) > cap:
            raise RegistryError(f"registry {self.host}: {what} is too large ({length} bytes; the limit is {cap})")
        parts, size = [], 0
        for chunk in response.iter_raw():  # raw: a Content-Encoding is never inflated for us
            size += len(chunk)
            if size > cap:
                raise RegistryError(f"registry {self.host}: {what} is too large (over {cap} bytes)")
            parts.append(chunk)
        return b"".join(parts)

    def _authenticate(self, response: httpx.Response, repo: str) -> bool:
        header = response.headers.get("www-authenticate", "")
        scheme, params = _parse_challenge(header)
        if scheme == "basic":
            if not self.credentials:
                raise RegistryError(f"{self.host}: authentication required (set DOCKOPT_REGISTRY_USERNAME/"
                                    f"DOCKOPT_REGISTRY_PASSWORD or log in with docker login)")
            self._auth_header = {"Authorization": "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()}
            return True
        if scheme == "bearer" and params.get("realm"):
            self._auth_header = {"Authorization": f"Bearer {self._token(params, repo)}"}
            return True
        return False

    def _token(self, params: dict[str, str], repo: str) -> str:
        realm = params["realm"]
        if not realm.startswith(("https://", "http://")):
            raise RegistryError(f"{self.host}: token service {realm[:100]!r} is not an http(s) URL")
        query = {"service": params.get("service", ""), "scope": params.get("scope") or f"repository:{repo}:pull"}
        auth = httpx.BasicAuth(*self.credentials) if self.credentials else None
        with deadline(self.timeout), self._boundary(f"token service {realm[:100]}"):
            request = self.http.build_request("GET", realm, params=query, headers={"Accept-Encoding": "identity"})
            response = self.http.send(request, auth=auth, stream=True)
            try:
                if response.status_code in (401, 403):
                    raise RegistryError(f"{self.host}: token service refused the credentials ({response.status_code})")
                if response.status_code != 200:
                    raise RegistryError(f"{self.host}: token service answered {response.status_code}")
                data = self._read_capped(response, "token response", MAX_TOKEN_RESPONSE)
            finally:
                response.close()
        body = load_json(data, f"registry {self.host}: token response", max_bytes=MAX_TOKEN_RESPONSE,
                         error=RegistryError)
        token = _token_of(body)
        if token is None:
            problem = ("no non-empty string `token` or `access_token`" if isinstance(body, dict)
                       else f"expected an object with a `token`, got {type_name(body)}")
            raise RegistryError(f"{self.host}: token service sent no token ({problem})")
        return token

    def _refusal(self, response: httpx.Response, path: str, repo: str) -> DockoptError:
        """The error for a non-200 answer, with the registry's own message when it sent one."""
        detail = ""
        try:
            detail = _error_message(load_json(self._read_capped(response, "error body", MAX_ERROR_BODY),
                                              "error body", max_bytes=MAX_ERROR_BODY, error=RegistryError))
        except (RegistryError, *CLIENT_ERRORS):
            pass  # the status alone is the message
        suffix = f" ({detail})" if detail else ""
        status = response.status_code
        if status == 401:
            return RegistryError(f"{self.host}: authentication failed for {repo}{suffix}")
        if status == 403:
            return RegistryError(f"{self.host}: access to {repo} denied{suffix}")
        if status == 404:
            return BadReferenceError(f"{self.host}/{repo}: {path.rsplit('/', 1)[-1]} not found in the registry{suffix}")
        return RegistryError(f"{self.host}: GET {path} answered HTTP {status}{suffix}")

    @contextmanager
    def _request(self, path: str, repo: str, headers: dict[str, str] | None = None) -> Iterator[httpx.Response]:
        """A 200 response, streamed; the caller reads it inside a deadline of its choosing."""
        url = f"{self.base}/v2/{path}"
        for attempt in range(2):
            with deadline(self.timeout), self._boundary(f"GET {path[:200]}"):
                request = self.http.build_request("GET", url, headers={
                    "Accept-Encoding": "identity", **(headers or {}), **self._auth_header})
                response = self.http.send(request, stream=True)
            try:
                if response.status_code == 401 and attempt == 0:
                    response.close()
                    if self._authenticate(response, repo):
                        continue
                if response.status_code != 200:
                    with deadline(self.timeout), self._boundary(f"GET {path[:200]}"):
                        raise self._refusal(response, path, repo)
                yield response
            finally:
                response.close()
            return

    def manifest(self, repo: str, reference: str) -> tuple[bytes, str, str | None]:
        """Raw manifest bytes, its media type and the digest the registry reports."""
        with deadline(self.timeout), self._request(f"{repo}/manifests/{reference}", repo,
                                                   {"Accept": MANIFEST_ACCEPT}) as resp:
            with self._boundary(f"manifest of {repo}"):
                data = self._read_capped(resp, f"manifest of {repo}", MAX_MANIFEST)
            return data, resp.headers.get("content-type", ""), resp.headers.get("docker-content-digest")

    def blob_bytes(self, repo: str, digest: str, limit: int = MAX_MANIFEST) -> bytes:
        with deadline(self.timeout), self._request(f"{repo}/blobs/{digest}", repo) as resp:
            with self._boundary(f"download of {digest[:19]}"):
                return self._read_capped(resp, f"blob {digest[:19]}", limit)

    @contextmanager
    def blob_stream(self, repo: str, digest: str) -> Iterator[Iterator[bytes]]:
        """A layer's bytes as they arrive: headers within the timeout, then the transfer rate rule."""
        with self._request(f"{repo}/blobs/{digest}", repo) as resp:
            yield self._rate_checked(resp, digest)

    def _rate_checked(self, response: httpx.Response, digest: str) -> Iterator[bytes]:
        started, received = time.monotonic(), 0
        with self._boundary(f"download of {digest[:19]}"):
            for chunk in response.iter_raw():  # the bytes the digest covers, never decoded
                received += len(chunk)
                elapsed = time.monotonic() - started
                if elapsed > self.timeout and received < MIN_BLOB_RATE * elapsed:
                    raise RegistryError(f"registry {self.host}: download of {digest[:19]} is too slow "
                                        f"({received / elapsed:.0f} bytes/s after {elapsed:.0f} s; at least "
                                        f"{MIN_BLOB_RATE} bytes/s are required)")
                yield chunk


def _token_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for key in ("token", "access_token"):
        value = body.get(key)
        if isinstance(value, str) and value and len(value) < 65536 and value.isprintable():
            return value
    return None


def _error_message(body: Any) -> str:
    """`errors[0].message` of a Registry v2 error body (distribution spec), when it has that shape."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message, code = errors[0].get("message"), errors[0].get("code")
        parts = [str(v)[:200] for v in (code, message) if isinstance(v, str) and v]
        return ": ".join(parts)
    return ""
