"""A small Registry v2 client over httpx: manifests and streamed blobs, with anonymous, basic
and bearer-token auth (the WWW-Authenticate challenge flow)."""

from __future__ import annotations

import base64
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from dockopt.envvars import registry_credentials
from dockopt.errors import BadReferenceError, DockoptError, RegistryError
from dockopt.safeload import read_text_file

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
        auths = json.loads(read_text_file(folder / "config.json", "docker config")).get("auths") or {}
    except (DockoptError, ValueError, AttributeError):  # an unusable config is no credentials
        return None
    for key in (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/"):
        encoded = (auths.get(key) or {}).get("auth")
        if encoded:
            try:
                user, _, password = base64.b64decode(encoded).decode().partition(":")
                return user, password
            except (ValueError, UnicodeDecodeError):
                return None
    return None


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = dict((k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', rest))
    return scheme.lower(), params


class RegistryClient:
    def __init__(self, host: str, insecure: bool | None = None, credentials: tuple[str, str] | None = None,
                 timeout: float = 60.0):
        self.host = host
        plain = is_local_host(host) if insecure is None else insecure
        self.base = f"{'http' if plain else 'https'}://{host}"
        self.credentials = credentials if credentials is not None else docker_config_credentials(host)
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, read=timeout), follow_redirects=True)
        self._auth_header: dict[str, str] = {}

    def close(self) -> None:
        self.http.close()

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
            query = {"service": params.get("service", ""), "scope": params.get("scope") or f"repository:{repo}:pull"}
            auth = httpx.BasicAuth(*self.credentials) if self.credentials else None
            try:
                token_resp = self.http.get(params["realm"], params=query, auth=auth)
            except httpx.HTTPError as exc:
                raise RegistryError(f"{self.host}: token service {params['realm']} unreachable: {exc}") from None
            if token_resp.status_code in (401, 403):
                raise RegistryError(f"{self.host}: token service refused the credentials ({token_resp.status_code})")
            if token_resp.status_code != 200:
                raise RegistryError(f"{self.host}: token service answered {token_resp.status_code}")
            try:
                body = token_resp.json()
                token = body.get("token") or body.get("access_token")
            except ValueError:
                token = None
            if not token:
                raise RegistryError(f"{self.host}: token service sent no token")
            self._auth_header = {"Authorization": f"Bearer {token}"}
            return True
        return False

    @contextmanager
    def _request(self, path: str, repo: str, headers: dict[str, str] | None = None) -> Iterator[httpx.Response]:
        url = f"{self.base}/v2/{path}"
        for attempt in range(2):
            try:
                request = self.http.build_request("GET", url, headers={**(headers or {}), **self._auth_header})
                response = self.http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise RegistryError(f"registry {self.host} unreachable: {exc}") from None
            if response.status_code == 401 and attempt == 0:
                response.close()
                if self._authenticate(response, repo):
                    continue
            try:
                if response.status_code == 401:
                    raise RegistryError(f"{self.host}: authentication failed for {repo}")
                if response.status_code == 403:
                    raise RegistryError(f"{self.host}: access to {repo} denied")
                if response.status_code == 404:
                    raise BadReferenceError(f"{self.host}/{repo}: {path.rsplit('/', 1)[-1]} not found in the registry")
                if response.status_code != 200:
                    raise RegistryError(f"{self.host}: GET {path} answered HTTP {response.status_code}")
                yield response
            finally:
                response.close()
            return

    def manifest(self, repo: str, reference: str) -> tuple[bytes, str, str | None]:
        """Raw manifest bytes, its media type and the digest the registry reports."""
        with self._request(f"{repo}/manifests/{reference}", repo, {"Accept": MANIFEST_ACCEPT}) as resp:
            try:
                data = resp.read()
            except httpx.HTTPError as exc:
                raise RegistryError(f"{self.host}: manifest download broke off: {exc}") from None
            if len(data) > 16 << 20:
                raise RegistryError(f"{self.host}: manifest of {repo} is too large")
            return data, resp.headers.get("content-type", ""), resp.headers.get("docker-content-digest")

    def blob_bytes(self, repo: str, digest: str, limit: int = 16 << 20) -> bytes:
        with self._request(f"{repo}/blobs/{digest}", repo) as resp:
            parts, size = [], 0
            try:
                for chunk in resp.iter_bytes(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise RegistryError(f"{self.host}: blob {digest[:19]} exceeds {limit} bytes")
                    parts.append(chunk)
            except httpx.HTTPError as exc:
                raise RegistryError(f"{self.host}: download of {digest[:19]} broke off: {exc}") from None
            return b"".join(parts)

    @contextmanager
    def blob_stream(self, repo: str, digest: str) -> Iterator[Iterator[bytes]]:
        with self._request(f"{repo}/blobs/{digest}", repo) as resp:
            yield resp.iter_bytes(1 << 20)
