"""Image references: `docker:`, `docker-archive:`, `oci-dir:`, `oci-archive:`, `registry:`, or a
bare `NAME[:TAG|@DIGEST]` that resolves like other tools do (local engine first, then registry)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockopt.errors import BadReferenceError, DockoptError, EngineError
from dockopt.image.model import Image, Platform
from dockopt.image.scan import LayerReader, Source

SCHEMES = ("docker", "docker-archive", "oci-dir", "oci-archive", "registry")
DEFAULT_REGISTRY = "docker.io"

# The grammar of distribution/reference (the Docker reference format): a domain (DNS labels or
# a bracketed IPv6 address, optional port), slash-separated lowercase path components, a tag of
# at most 128 word characters, a digest `algorithm:hex`; the whole name at most 255 characters.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME_RE = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DOMAIN_RE = re.compile(r"^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
                        r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
                        r"|\[[a-fA-F0-9:]+\])(?::([0-9]+))?$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
_DIGEST_HEX = {"sha256": 64}
"""Digest algorithms this tool can verify, with their hex length (sha384/sha512 are named in
the OCI spec but not verified here, so they are refused rather than trusted)."""
NAME_TOTAL_LENGTH_MAX = 255
MAX_REFERENCE = 4096
"""Longer input is refused before any parsing (a name is at most 255, a digest 135 characters)."""


@dataclass(frozen=True)
class DockerName:
    """A normalised image name: registry host, repository path, tag and/or digest."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        out = f"{self.registry}/{self.repository}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @property
    def familiar(self) -> str:
        """How the docker CLI writes it (no docker.io/library/ prefix)."""
        repo = self.repository
        if self.registry == DEFAULT_REGISTRY:
            repo = repo.removeprefix("library/")
            out = repo
        else:
            out = f"{self.registry}/{repo}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


def parse_docker_name(text: str) -> DockerName:
    """Parse and validate `[DOMAIN/]PATH[:TAG][@DIGEST]` against the reference grammar, so a
    malformed host, port, name, tag or digest is refused here, never handed to the HTTP client."""
    original = text
    if len(text) > MAX_REFERENCE:
        raise BadReferenceError(f"invalid image reference ({len(text)} characters; a reference is far shorter)")
    if not text or text != text.strip():
        raise BadReferenceError(f"invalid image reference {original!r}")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        _check_digest(digest, original)
    first, sep, rest = text.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        registry, path = first, rest
        _check_domain(registry, original)
    else:
        registry, path = DEFAULT_REGISTRY, text
    tag = None
    if ":" in path:
        path, tag = path.rsplit(":", 1)
        if not _TAG_RE.match(tag):
            raise BadReferenceError(f"invalid tag in image reference {original!r} "
                                    f"(word characters, '.' and '-', at most 128)")
    if not path or not _NAME_RE.match(path):
        raise BadReferenceError(f"invalid image name in reference {original!r} (names are lowercase)")
    if len(text.rsplit(":", 1)[0] if tag is not None else text) > NAME_TOTAL_LENGTH_MAX:  # as written
        raise BadReferenceError(f"image name in reference {original[:80]!r}... is longer than "
                                f"{NAME_TOTAL_LENGTH_MAX} characters")
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    if tag is None and digest is None:
        tag = "latest"
    return DockerName(registry, path, tag, digest)


def _check_domain(domain: str, original: str) -> None:
    m = _DOMAIN_RE.match(domain)
    if not m:
        raise BadReferenceError(f"invalid registry host {domain!r} in image reference {original!r}")
    port = m.group(1)
    if port is not None and not (len(port) <= 5 and 0 < int(port) <= 65535):
        raise BadReferenceError(f"invalid port {port[:20]!r} in image reference {original[:200]!r} (1-65535)")


def _check_digest(digest: str, original: str) -> None:
    if not _DIGEST_RE.match(digest):
        raise BadReferenceError(f"invalid digest in image reference {original!r}")
    algorithm, _, hex_part = digest.partition(":")
    if algorithm not in _DIGEST_HEX:
        raise BadReferenceError(f"unsupported digest algorithm {algorithm!r} in image reference {original!r} "
                                f"(sha256 only)")
    if len(hex_part) != _DIGEST_HEX[algorithm] or not re.fullmatch(r"[0-9a-f]+", hex_part):
        raise BadReferenceError(f"invalid digest in image reference {original!r} "
                                f"({algorithm} is {_DIGEST_HEX[algorithm]} lowercase hex digits)")


def split_scheme(text: str) -> tuple[str | None, str]:
    scheme, sep, rest = text.partition(":")
    if sep and scheme in SCHEMES:
        if not rest:
            raise BadReferenceError(f"image reference {text!r} names no image after '{scheme}:'")
        return scheme, rest
    return None, text


def _split_archive_tag(rest: str) -> tuple[str, str | None]:
    """`path.tar:repo:tag` -> (path.tar, repo:tag). Only when the path part exists is it split."""
    import os

    if os.path.exists(rest):
        return rest, None
    for i in range(len(rest) - 1, 0, -1):
        if rest[i] == ":" and os.path.exists(rest[:i]):
            return rest[:i], rest[i + 1:]
    return rest, None


def open_source(text: str, platform: Platform | None = None, insecure: bool | None = None,
                timeout: float | None = None) -> Source:
    """The source for an image reference; `timeout` bounds each registry request (seconds)."""
    scheme, rest = split_scheme(text)
    if scheme == "docker":
        from dockopt.image.sources.docker_engine import DockerEngineSource

        parse_docker_name(rest)  # validate early for a clear message
        return DockerEngineSource(rest)
    if scheme in ("docker-archive", "oci-archive"):
        from dockopt.image.sources.archive import ArchiveSource

        path, tag = _split_archive_tag(rest)
        return ArchiveSource(scheme, path, tag, platform)
    if scheme == "oci-dir":
        from dockopt.image.sources.oci_dir import OciDirSource

        return OciDirSource(rest, platform)
    if scheme == "registry":
        from dockopt.image.sources.registry import RegistrySource

        return RegistrySource(parse_docker_name(rest), platform, insecure, timeout)
    name = parse_docker_name(rest)
    return FallbackSource(rest, name, platform, insecure, timeout)


class FallbackSource(Source):
    """A bare name: the local engine if it has the image, else the registry."""

    def __init__(self, text: str, name: DockerName, platform: Platform | None, insecure: bool | None,
                 timeout: float | None = None):
        self.text, self.name, self.platform, self.insecure = text, name, platform, insecure
        self.timeout = timeout
        self.reference = text
        self.kind = "docker"
        self._chosen: Source | None = None

    def _choose(self) -> Source:
        if self._chosen is not None:
            return self._chosen
        from dockopt.image.sources.docker_engine import DockerEngineSource
        from dockopt.image.sources.registry import RegistrySource

        engine_problem = ""
        try:
            source = DockerEngineSource(self.text)
            source._get()
            self._chosen = source
            return source
        except (EngineError, BadReferenceError) as exc:
            engine_problem = str(exc)
        self._chosen = RegistrySource(self.name, self.platform, self.insecure, self.timeout)
        self._engine_problem = engine_problem
        return self._chosen

    @property
    def client(self):
        """The engine client when the engine was chosen (for base matching)."""
        return getattr(self._chosen, "client", None) if self._chosen is not None and self._chosen.kind == "docker" else None

    def read(self, reader: LayerReader) -> tuple[Image, list[str]]:
        source = self._choose()
        self.kind = source.kind
        try:
            return source.read(reader)
        except DockoptError as exc:
            if source.kind == "registry":
                raise type(exc)(f"{self.text}: {self._engine_problem}; and from the registry: {exc}") from None
            raise

    def metadata(self) -> Image:
        source = self._choose()
        self.kind = source.kind
        return source.metadata()
