"""Reading a tar of an image: `docker save` (classic layout and the OCI layout of Docker 25+)
and OCI image-layout archives.

From a stream (the engine's save), the tar is read front to back once: layer blobs are scanned
as they pass, JSON documents kept (bounded), and the manifest, wherever it sits, then says which
blob is which layer. From a regular file, the headers are indexed first (tar seeks over data),
the manifest is resolved, and only the referenced layer blobs are read (see `LayerReader.scan_files`).
"""

from __future__ import annotations

import os
import posixpath
import tarfile
from typing import Any, BinaryIO, Iterator

from dockopt.errors import ImageFormatError
from dockopt.image.documents import MAX_DOCUMENT, parse_archive_manifest, parse_index
from dockopt.image.model import Image, Platform
from dockopt.image.oci import (
    image_from_manifest,
    select_manifest,
    verify_digest,
)
from dockopt.image.scan import FileBlob, LayerReader
from dockopt.image.streams import ForwardReader, PositionalReader
from dockopt.image.tarstream import GZIP_MAGIC, ZSTD_MAGIC, normalise_member_path


def _looks_like_layer(head: bytes) -> bool:
    if head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC):
        return True
    if len(head) >= 262 and head[257:262] == b"ustar":
        return True
    return len(head) >= 512 and not any(head[:512])  # an empty tar: only zero blocks


def _regular_members(outer: tarfile.TarFile, reference: str) -> Iterator[tuple[tarfile.TarInfo, str]]:
    """The archive's regular files with their normalised paths, one at a time (no member list
    is kept: tarfile would otherwise hold every header of the archive)."""
    while (member := outer.next()) is not None:
        outer.members.clear()
        if member.isreg():
            yield member, normalise_member_path(member.name, reference)


def read_save_tar(stream: BinaryIO, reader: LayerReader, reference: str, kind: str,
                  platform: Platform | None, tag: str | None = None) -> tuple[Image, list[str]]:
    docs: dict[str, bytes] = {}
    try:
        # Read through the same capped readers as layers: a pax or GNU long-name header of the
        # archive itself claiming a gigabyte is an error, not a gigabyte read.
        outer = tarfile.TarFile(fileobj=ForwardReader(stream, reference, hashing=False), mode="r")  # type: ignore[arg-type]
        for member, path in _regular_members(outer, reference):
            handle = outer.extractfile(member)
            assert handle is not None
            buffered = handle  # tarfile's member reader is buffered already: peek without a copy
            head = buffered.peek(512)[:512]
            is_blob = path.startswith("/blobs/")
            if path.endswith("/layer.tar") or (is_blob and _looks_like_layer(head)):
                key = "sha256:" + posixpath.basename(path) if is_blob else path
                # Blobs of an OCI layout may be non-layers (attestations); judge them once the
                # manifest says what they are.
                reader.scan(key, buffered, f"{path.lstrip('/')}", member.size, tolerate=is_blob)
            elif member.size <= MAX_DOCUMENT:
                docs[path] = buffered.read()
    except ImageFormatError as exc:
        raise _outer(exc, reference) from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ImageFormatError(f"{reference}: not a readable image archive ({exc})") from None
    return _resolve(docs, reference, kind, platform, tag)


def _outer(exc: ImageFormatError, reference: str) -> ImageFormatError:
    """An error of the archive's own reader names the archive, not a layer."""
    return ImageFormatError(f"{reference}: {exc.detail}") if exc.layer == reference else exc


def read_save_file(handle: BinaryIO, reader: LayerReader, reference: str, kind: str,
                   platform: Platform | None, tag: str | None = None) -> tuple[Image, list[str]]:
    fd = handle.fileno()
    members: dict[str, tuple[int, int]] = {}
    docs: dict[str, bytes] = {}
    try:
        capped = PositionalReader(fd, 0, os.fstat(fd).st_size, reference)
        outer = tarfile.TarFile(fileobj=capped, mode="r")  # type: ignore[arg-type]
        for member, path in _regular_members(outer, reference):
            members[path] = (member.offset_data, member.size)
            if path.endswith("/layer.tar") or member.size > MAX_DOCUMENT:
                continue
            data = os.pread(fd, member.size, member.offset_data)
            if len(data) != member.size:
                raise ImageFormatError(f"{reference}: archive is truncated in {path.lstrip('/')}")
            if not (path.startswith("/blobs/") and _looks_like_layer(data[:512])):
                docs[path] = data
    except ImageFormatError as exc:
        raise _outer(exc, reference) from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ImageFormatError(f"{reference}: not a readable image archive ({exc})") from None
    image, keys = _resolve(docs, reference, kind, platform, tag)
    if reader.metadata_only:
        return image, keys
    blobs: dict[str, FileBlob] = {}
    for layer, key in zip(image.layers, keys):
        path = "/blobs/sha256/" + key[7:] if key.startswith("sha256:") else key
        if path in members and key not in blobs:  # a missing blob is reported by the scan
            offset, size = members[path]
            blobs[key] = FileBlob(key, fd, offset, size, f"{layer.index} ({layer.diff_id[7:19]})")
    reader.scan_files(list(blobs.values()))
    return image, keys


def _resolve(docs: dict[str, bytes], reference: str, kind: str, platform: Platform | None,
             tag: str | None) -> tuple[Image, list[str]]:
    if "/manifest.json" in docs:
        return _from_docker_manifest(docs, reference, kind, tag)
    if "/index.json" in docs:
        return _from_oci_index(docs, reference, kind, platform)
    raise ImageFormatError(f"{reference}: no manifest.json or index.json: not an image archive")


def _from_docker_manifest(docs: dict[str, bytes], reference: str, kind: str, tag: str | None) -> tuple[Image, list[str]]:
    entries = parse_archive_manifest(docs["/manifest.json"], f"{reference}: manifest.json")
    if not entries:
        raise ImageFormatError(f"{reference}: manifest.json lists no images")
    entry = entries[0]
    if tag:
        matching = [e for e in entries if tag in (e.get("RepoTags") or [])]
        if not matching:
            raise ImageFormatError(f"{reference}: archive has no image tagged {tag}")
        entry = matching[0]
    elif len(entries) > 1:
        tags = ", ".join(t for e in entries for t in (e.get("RepoTags") or [])) or "untagged images"
        raise ImageFormatError(f"{reference}: archive holds {len(entries)} images ({tags}); "
                               f"name one as {kind}:PATH:TAG")
    config_path = "/" + str(entry.get("Config", "")).lstrip("/")
    if config_path not in docs:
        raise ImageFormatError(f"{reference}: config {entry.get('Config')!r} missing from archive")
    config_bytes = docs[config_path]
    layer_paths = entry["Layers"]
    keys, descs = [], []
    for p in layer_paths:
        path = "/" + str(p).lstrip("/")
        if path.startswith("/blobs/sha256/"):
            digest = "sha256:" + posixpath.basename(path)
            keys.append(digest)
            descs.append({"digest": digest})
        else:
            keys.append(path)
            descs.append({"digest": "sha256:" + "0" * 64})  # classic layout: no blob digest
    config_digest = None
    if config_path.startswith("/blobs/sha256/"):
        config_digest = "sha256:" + posixpath.basename(config_path)
    elif posixpath.basename(config_path).removesuffix(".json").isalnum():
        config_digest = "sha256:" + posixpath.basename(config_path).removesuffix(".json")
    manifest: dict[str, Any] = {"config": {"digest": config_digest} if config_digest else {}, "layers": descs}
    image = image_from_manifest(reference, kind, manifest, None, config_bytes)
    for layer, key in zip(image.layers, keys):
        if not key.startswith("sha256:"):
            layer.digest = None  # the classic layout stores uncompressed tars named by v1 id
    image.repo_tags = list(entry.get("RepoTags") or [])
    image.manifest = {"docker-save": entry}
    return image, keys


def _from_oci_index(docs: dict[str, bytes], reference: str, kind: str, platform: Platform | None) -> tuple[Image, list[str]]:
    index = parse_index(docs["/index.json"], f"{reference}: index.json")

    def fetch(desc: dict[str, Any]) -> bytes:
        digest = str(desc.get("digest", ""))
        path = "/blobs/" + digest.replace(":", "/", 1)
        if path not in docs:
            raise ImageFormatError(f"{reference}: blob {digest} missing from archive")
        return docs[path]

    manifest, manifest_digest = select_manifest(index, platform, fetch, reference)
    config_desc = manifest.get("config") or {}
    config_bytes = fetch(config_desc)
    verify_digest(config_bytes, str(config_desc.get("digest")), f"{reference}: config")
    image = image_from_manifest(reference, kind, manifest, manifest_digest, config_bytes,
                                annotations=index.get("annotations") or {})
    return image, [layer.digest or "" for layer in image.layers]
