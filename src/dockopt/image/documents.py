"""The JSON documents of an image, parsed and shape-checked before any field is used.

Shapes follow the OCI image-spec (descriptor, image index, image manifest, image config,
`index.json`, `oci-layout`) and Docker's image spec (the v2 schema-2 manifest and manifest list,
the engine's config fields, the `manifest.json` of `docker save`). Fields the specs mark
required are required; optional ones may be absent or null (Docker writes `"Env": null`);
fields nobody reads here are allowed and not checked (both specs let producers add fields).
Every source (engine save stream, archives, OCI layouts, registry) reads through these.
"""

from __future__ import annotations

from typing import Any

from dockopt.errors import ImageFormatError
from dockopt.safeload import load_json, load_json_object
from dockopt.shape import AnyValue, Bool, Int, ListOf, MapOf, Obj, Spec, Str, check

MAX_DOCUMENT = 16 << 20
"""Cap on one manifest, index or config (real ones are kilobytes; 16 MiB as registries use)."""

STRINGS = ListOf(Str())

PLATFORM = Obj({"architecture": Str(), "os": Str(), "os.version": Str(), "os.features": STRINGS,
                "variant": Str(), "features": STRINGS}, required=("architecture", "os"))

DESCRIPTOR = Obj({"mediaType": Str(), "digest": Str(), "size": Int(minimum=0), "urls": STRINGS,
                  "annotations": MapOf(Str()), "platform": PLATFORM, "artifactType": Str(),
                  "data": Str()}, required=("digest",))

INDEX = Obj({"schemaVersion": Int(), "mediaType": Str(), "artifactType": Str(), "manifests": ListOf(DESCRIPTOR),
             "subject": DESCRIPTOR, "annotations": MapOf(Str())}, required=("manifests",))

MANIFEST = Obj({"schemaVersion": Int(), "mediaType": Str(), "artifactType": Str(), "config": DESCRIPTOR,
                "layers": ListOf(DESCRIPTOR), "subject": DESCRIPTOR, "annotations": MapOf(Str())},
               required=("config", "layers"))

HISTORY_ENTRY = Obj({"created": Str(), "author": Str(), "created_by": Str(), "comment": Str(),
                     "empty_layer": Bool()})

HEALTHCHECK = Obj({"Test": STRINGS, "Interval": Int(), "Timeout": Int(), "StartPeriod": Int(),
                   "StartInterval": Int(), "Retries": Int()})

CONTAINER_CONFIG = Obj({
    "User": Str(), "ExposedPorts": MapOf(AnyValue()), "Env": STRINGS, "Entrypoint": STRINGS, "Cmd": STRINGS,
    "Volumes": MapOf(AnyValue()), "WorkingDir": Str(), "Labels": MapOf(Str()), "StopSignal": Str(),
    "ArgsEscaped": Bool(), "Healthcheck": HEALTHCHECK, "OnBuild": STRINGS, "Shell": STRINGS,
})

CONFIG = Obj({
    "created": Str(), "author": Str(), "architecture": Str(), "os": Str(), "os.version": Str(),
    "os.features": STRINGS, "variant": Str(), "config": CONTAINER_CONFIG,
    "rootfs": Obj({"type": Str(), "diff_ids": STRINGS}, required=("diff_ids",)),
    "history": ListOf(HISTORY_ENTRY),
}, required=("rootfs",))

ARCHIVE_ENTRY = Obj({"Config": Str(), "RepoTags": STRINGS, "Layers": STRINGS,
                     "LayerSources": MapOf(DESCRIPTOR)}, required=("Config", "Layers"))
ARCHIVE_MANIFEST = ListOf(ARCHIVE_ENTRY)
"""`manifest.json` of `docker save`: one entry per image."""

OCI_LAYOUT = Obj({"imageLayoutVersion": Str()}, required=("imageLayoutVersion",))


def _checked(value: Any, spec: Spec, what: str) -> Any:
    check(value, spec, what, error=ImageFormatError)
    return value


OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)


def is_index(doc: dict[str, Any]) -> bool:
    return doc.get("mediaType") in INDEX_TYPES or ("manifests" in doc and "layers" not in doc)


def parse_manifest_or_index(data: bytes, what: str) -> dict[str, Any]:
    """A manifest or an index (what a registry answers for a tag), checked as whichever it is."""
    doc = load_json_object(data, what, max_bytes=MAX_DOCUMENT, error=ImageFormatError)
    return _checked(doc, INDEX if is_index(doc) else MANIFEST, what)


def parse_index(data: bytes, what: str) -> dict[str, Any]:
    """`index.json` of an OCI layout (an image index)."""
    return _checked(load_json_object(data, what, max_bytes=MAX_DOCUMENT, error=ImageFormatError), INDEX, what)


def parse_config(data: bytes, what: str) -> dict[str, Any]:
    """An image config blob (OCI or Docker)."""
    return _checked(load_json_object(data, what, max_bytes=MAX_DOCUMENT, error=ImageFormatError), CONFIG, what)


def check_config(raw: dict[str, Any], what: str) -> dict[str, Any]:
    """An image config assembled from elsewhere (the engine's inspect answer)."""
    return _checked(raw, CONFIG, what)


def parse_archive_manifest(data: bytes, what: str) -> list[dict[str, Any]]:
    """`manifest.json` of a `docker save` archive."""
    value = load_json(data, what, max_bytes=MAX_DOCUMENT, error=ImageFormatError)
    return _checked(value, ARCHIVE_MANIFEST, what)


def parse_oci_layout(data: bytes, what: str) -> dict[str, Any]:
    """The `oci-layout` marker file: `{"imageLayoutVersion": "1.0.0"}`."""
    return _checked(load_json_object(data, what, max_bytes=1 << 16, error=ImageFormatError), OCI_LAYOUT, what)
