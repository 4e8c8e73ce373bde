"""The one image model every source produces and every analysis consumes."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from typing import Any, NamedTuple


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> "Platform":
        parts = text.strip().split("/")
        if len(parts) < 2 or not all(parts):
            from dockopt.errors import UsageError

            raise UsageError(f"invalid platform {text!r} (expected os/arch[/variant], e.g. linux/amd64)")
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else None)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class HistoryEntry:
    created_by: str = ""
    created: str | None = None
    empty_layer: bool = False
    comment: str | None = None


@dataclass
class Layer:
    """One filesystem layer, in image order (empty history entries are not layers)."""

    index: int
    diff_id: str
    """sha256 of the uncompressed layer tar, as listed in the config's rootfs."""
    digest: str | None = None
    """Digest of the blob as stored (compressed or not); None when the source has no such blob."""
    size: int | None = None
    """Size of the stored blob in bytes."""
    media_type: str | None = None
    created_by: str = ""
    """The instruction that created the layer, from the history entry mapped to it."""
    history_index: int | None = None


@dataclass(frozen=True)
class ImageConfig:
    """An image config whose shape `image.documents` has checked. The views below are computed
    once: analyses read them many times, and a hostile config can hold 100,000 history entries."""

    raw: dict[str, Any]

    @functools.cached_property
    def container_config(self) -> dict[str, Any]:
        return self.raw.get("config") or {}

    @functools.cached_property
    def diff_ids(self) -> list[str]:
        return list((self.raw.get("rootfs") or {}).get("diff_ids") or [])

    @functools.cached_property
    def history(self) -> list[HistoryEntry]:
        return [HistoryEntry(created_by=item.get("created_by") or "", created=item.get("created"),
                             empty_layer=bool(item.get("empty_layer")), comment=item.get("comment"))
                for item in self.raw.get("history") or []]

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        return dict(self.container_config.get("Labels") or {})

    @functools.cached_property
    def env(self) -> list[str]:
        return list(self.container_config.get("Env") or [])

    @property
    def user(self) -> str:
        return str(self.container_config.get("User") or "")

    @property
    def platform(self) -> Platform:
        return Platform(str(self.raw.get("os") or "linux"), str(self.raw.get("architecture") or "amd64"),
                        self.raw.get("variant"))


class EntryType(enum.Enum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    OTHER = "other"  # devices, fifos
    WHITEOUT = "whiteout"  # `.wh.NAME`: path hides NAME of lower layers
    OPAQUE = "opaque"  # `.wh..wh..opq`: path is a directory whose lower-layer content is hidden


class FileEntry(NamedTuple):
    """One tar member of a layer, with its path normalised to an absolute image path.
    (A named tuple: one is made per layer entry, and a tuple is the cheapest immutable record.)"""

    path: str
    type: EntryType
    size: int = 0
    """Bytes of content stored in the layer (0 for links and directories)."""
    mode: int = 0
    uid: int = 0
    gid: int = 0
    link_target: str | None = None
    mtime: int = 0

    @property
    def is_setuid(self) -> bool:
        return bool(self.mode & 0o4000)

    @property
    def is_setgid(self) -> bool:
        return bool(self.mode & 0o2000)


@dataclass
class Image:
    """Metadata of one image; layer contents are read only by the scan (see image.scan)."""

    reference: str
    """What the user typed, normalised (e.g. `docker:app:1.0`)."""
    source: str
    """Source kind: docker, docker-archive, oci-dir, oci-archive, registry."""
    config: ImageConfig
    layers: list[Layer]
    manifest: dict[str, Any] = field(default_factory=dict)
    manifest_digest: str | None = None
    config_digest: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    repo_tags: list[str] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        return self.config_digest

    @property
    def platform(self) -> Platform:
        return self.config.platform


def map_history(config: ImageConfig) -> list[tuple[str, int | None]]:
    """For each layer (diff-ID order): the instruction that created it and its history index.

    Empty-layer history entries (ENV, LABEL, CMD …) are skipped; when history and layers
    disagree in number, unmatched layers get an empty instruction rather than a wrong one.
    """
    diff_ids = config.diff_ids
    non_empty = [(i, h) for i, h in enumerate(config.history) if not h.empty_layer]
    out: list[tuple[str, int | None]] = []
    if len(non_empty) == len(diff_ids):
        return [(clean_created_by(h.created_by), i) for i, h in non_empty]
    # Mismatch (squashed or hand-made images): align from the end, where the user's layers are.
    offset = len(non_empty) - len(diff_ids)
    for n in range(len(diff_ids)):
        j = n + offset
        if 0 <= j < len(non_empty):
            i, h = non_empty[j]
            out.append((clean_created_by(h.created_by), i))
        else:
            out.append(("", None))
    return out


def clean_created_by(text: str) -> str:
    """`/bin/sh -c #(nop)  ENV A=b` -> `ENV A=b`; `/bin/sh -c apt-get …` -> `RUN apt-get …`."""
    t = text.strip()
    if t.endswith("# buildkit"):
        t = t[: -len("# buildkit")].rstrip()
    if t.startswith("/bin/sh -c #(nop) "):
        return t[len("/bin/sh -c #(nop) "):].strip()
    if t.startswith("/bin/sh -c "):
        return "RUN " + t[len("/bin/sh -c "):].strip()
    if t.startswith("|"):
        # The classic builder records build args as "|N A=1 B=2 /bin/sh -c cmd".
        _, sep, cmd = t.partition(" /bin/sh -c ")
        if sep:
            return "RUN " + cmd.strip()
    return t
