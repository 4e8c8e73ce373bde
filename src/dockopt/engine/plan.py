"""Prune plans: which objects a selection removes, why, and exactly how many bytes that frees.

The plan is executed in its own order (containers, images, volumes, build cache) and the bytes are
predicted in that order: an image's entry carries the layers that its removal releases, given the
entries before it, so the per-entry figures add up to the plan total and match what the engine
reports deleted at each step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dockopt.engine.buildcache import cache_held_layers
from dockopt.engine.filters import Filters, LabelFilter, RepositoryPattern, split_repo_tag
from dockopt.engine.usage import EngineUsage, ImageInfo
from dockopt.errors import InputError

KINDS = ("container", "image", "volume", "build-cache")


@dataclass(frozen=True)
class Protection:
    """The config file's `prune: protect:` section: objects that are never removed."""

    labels: tuple[str, ...] = ()
    repositories: tuple[RepositoryPattern, ...] = ()

    def reason(self, labels: dict[str, str] | None, tags: list[str] = ()) -> str | None:
        for item in self.labels:
            if LabelFilter(required=(item,)).matches(labels):
                return f"protected by label {item} (config)"
        for tag in tags:
            repository, tag_part = split_repo_tag(tag)
            for pattern in self.repositories:
                if pattern.matches(repository, tag_part):
                    return f"protected by repository pattern {pattern.text} (config)"
        return None

    @classmethod
    def from_config(cls, prune_section: dict[str, Any]) -> "Protection":
        protect = prune_section.get("protect") or {}
        if not isinstance(protect, dict):
            raise InputError("config prune.protect must be a mapping with labels: and repositories: lists")
        labels = protect.get("labels") or []
        repositories = protect.get("repositories") or []
        for name, value in (("labels", labels), ("repositories", repositories)):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise InputError(f"config prune.protect.{name} must be a list of strings")
        return cls(tuple(labels), tuple(RepositoryPattern(p) for p in repositories))


@dataclass(frozen=True)
class Selection:
    """What the user asked to prune."""

    images: bool = False
    """Unused images (tagged or not)."""
    dangling: bool = False
    containers: bool = False
    volumes: bool = False
    build_cache: bool = False
    repositories: tuple[RepositoryPattern, ...] = ()
    keep_last: int | None = None
    filters: Filters = field(default_factory=Filters)

    @property
    def any_images(self) -> bool:
        return self.images or self.dangling or bool(self.repositories) or self.keep_last is not None

    @property
    def empty(self) -> bool:
        return not (self.any_images or self.containers or self.volumes or self.build_cache)


@dataclass
class PlanEntry:
    kind: str
    id: str
    name: str
    reason: str
    bytes: int
    """Bytes this removal frees, given the removals before it in the plan."""
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "reason": self.reason,
                "bytes": self.bytes, **self.detail}


@dataclass
class KeptEntry:
    kind: str
    id: str
    name: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "reason": self.reason}


@dataclass
class PrunePlan:
    entries: list[PlanEntry]
    kept: list[KeptEntry]
    notes: list[str]

    @property
    def predicted_bytes(self) -> int:
        return sum(e.bytes for e in self.entries)

    def by_kind(self) -> dict[str, int]:
        totals = {kind: 0 for kind in KINDS}
        for entry in self.entries:
            totals[entry.kind] += entry.bytes
        return totals

    def ids(self, kind: str) -> set[str]:
        return {e.id for e in self.entries if e.kind == kind}


def _until_ok(created_ns: int, filters: Filters) -> bool:
    # The engine keeps an object whose creation time is after `until`.
    return filters.until_ns is None or created_ns <= filters.until_ns


def make_plan(usage: EngineUsage, selection: Selection, protection: Protection = Protection()) -> PrunePlan:
    entries: list[PlanEntry] = []
    kept: list[KeptEntry] = []
    notes: list[str] = []
    filters = selection.filters

    removed_containers: set[str] = set()
    if selection.containers:
        for c in sorted(usage.containers.values(), key=lambda c: (c.created_ns, c.id)):
            if not c.stopped or not _until_ok(c.created_ns, filters) or not filters.labels.matches(c.labels):
                continue
            guard = protection.reason(c.labels)
            if guard:
                kept.append(KeptEntry("container", c.id, c.name, guard))
                continue
            removed_containers.add(c.id)
            entries.append(PlanEntry("container", c.id, c.name, f"stopped ({c.state})", c.size_rw,
                                     {"image": c.image, "state": c.state}))

    unshared_records: set[str] = set()
    if selection.any_images:
        chosen, image_kept = _select_images(usage, selection, protection, removed_containers)
        kept.extend(image_kept)
        image_entries = _image_entries(usage, chosen, removed_containers, cache_held_layers(usage))
        entries.extend(image_entries)
        moved = 0
        for entry in image_entries:
            unshared_records.update(entry.detail.get("build_cache_records", []))
            moved += entry.detail.get("stays_in_build_cache", 0)
        if moved and not selection.build_cache:
            notes.append(f"{moved} bytes of BuildKit-built layers stay on disk as build cache after their images "
                         "go; add --build-cache to free them")

    if selection.volumes:
        users: dict[str, list[str]] = {}
        for c in usage.containers.values():
            for name in c.volumes:
                users.setdefault(name, []).append(c.id)
        for v in sorted(usage.volumes.values(), key=lambda v: (v.created_ns, v.name)):
            remaining = [cid for cid in users.get(v.name, []) if cid not in removed_containers]
            known_users = len(users.get(v.name, []))
            # RefCount may count references the container list does not show; those keep it.
            if remaining or v.ref_count > known_users:
                continue
            if not _until_ok(v.created_ns, filters) or not filters.labels.matches(v.labels):
                continue
            guard = protection.reason(v.labels)
            if guard:
                kept.append(KeptEntry("volume", v.name, v.name, guard))
                continue
            reason = "unused" if not known_users else "used only by containers this plan removes"
            entries.append(PlanEntry("volume", v.name, v.name, reason, max(v.size, 0),
                                     {"size_known": v.size >= 0, "driver": v.driver}))
            if v.size < 0:
                notes.append(f"volume {v.name}: the engine does not know its size; counted as 0 bytes")

    if selection.build_cache:
        entries.extend(_build_cache_entries(usage, filters, notes, unshared_records))
    return PrunePlan(entries, kept, notes)


def _select_images(usage: EngineUsage, selection: Selection, protection: Protection,
                   removed_containers: set[str]) -> tuple[list[tuple[ImageInfo, str]], list[KeptEntry]]:
    filters = selection.filters
    users: dict[str, list[str]] = {}
    for c in usage.containers.values():
        if c.id not in removed_containers:
            users.setdefault(c.image_id, []).append(c.name)
    # Which images are among the newest N of a repository: ranked over all of the repository's
    # images, in use or not, newest first (ties broken by ID so the result is stable).
    newest: dict[str, str] = {}
    if selection.keep_last is not None:
        by_repo: dict[str, list[ImageInfo]] = {}
        for image in usage.images.values():
            for repository in image.repositories:
                by_repo.setdefault(repository, []).append(image)
        for repository, members in by_repo.items():
            members.sort(key=lambda i: (-i.created_ns, i.id))
            for image in members[: selection.keep_last]:
                newest.setdefault(image.id, repository)

    chosen: list[tuple[ImageInfo, str]] = []
    kept: list[KeptEntry] = []
    images_mode = selection.images or bool(selection.repositories) or selection.keep_last is not None
    for image in sorted(usage.images.values(), key=lambda i: (i.created_ns, i.id)):
        reasons: list[str] = []
        if image.dangling and (selection.dangling or (images_mode and not selection.repositories)):
            reasons.append("dangling (untagged)")
        elif image.tags and images_mode:
            if selection.repositories:
                unmatched = [t for t in image.tags if not _tag_matches(t, selection.repositories)]
                if unmatched:
                    continue
                reasons.append("repository matches " + ", ".join(p.text for p in selection.repositories))
        else:
            continue
        if not _until_ok(image.created_ns, selection.filters) or not filters.labels.matches(image.labels):
            continue
        if image.id in users:
            names = ", ".join(sorted(users[image.id]))
            kept.append(KeptEntry("image", image.id, image.name, f"in use by container {names}"))
            continue
        guard = protection.reason(image.labels, image.tags)
        if guard:
            kept.append(KeptEntry("image", image.id, image.name, guard))
            continue
        if image.id in newest:
            kept.append(KeptEntry("image", image.id, image.name,
                                  f"among the newest {selection.keep_last} of {newest[image.id]}"))
            continue
        if selection.keep_last is not None and image.tags:
            reasons.append(f"older than the newest {selection.keep_last} of its repository")
        reasons.append("unused" if not any(c.image_id == image.id for c in usage.containers.values())
                       else "used only by containers this plan removes")
        if filters.until_ns is not None:
            reasons.append("created before until")
        if filters.labels:
            reasons.append(f"matches {filters.labels.describe()}")
        chosen.append((image, "; ".join(reasons)))
    return chosen, kept


def _tag_matches(tag: str, patterns: tuple[RepositoryPattern, ...]) -> bool:
    repository, tag_part = split_repo_tag(tag)
    return any(p.matches(repository, tag_part) for p in patterns)


def _image_entries(usage: EngineUsage, chosen: list[tuple[ImageInfo, str]], removed_containers: set[str],
                   cache_held: dict[str, str]) -> list[PlanEntry]:
    """Entries in removal order, each with the bytes its removal releases after the ones before it.

    A layer is released when the last holder goes; holders are images and the containers that
    stay (a container pins the whole chain of its image). A released layer that the build cache
    also holds frees nothing yet: its bytes move to the build cache (see buildcache.py).
    """
    holders: dict[str, int] = {}
    for image in usage.images.values():
        for chain_id in set(image.chain):
            holders[chain_id] = holders.get(chain_id, 0) + 1
    for container_id, chain in usage.container_chains.items():
        if container_id not in removed_containers:
            for chain_id in set(chain):
                holders[chain_id] = holders.get(chain_id, 0) + 1
    entries = []
    for image, reason in chosen:
        released = []
        for chain_id in set(image.chain):
            holders[chain_id] -= 1
            if holders[chain_id] == 0:
                released.append(chain_id)
        to_cache = [c for c in released if c in cache_held]
        size = sum(usage.layer_sizes.get(c, 0) for c in released if c not in cache_held)
        detail: dict[str, Any] = {"tags": image.tags, "size": image.size,
                                  "layers_released": sorted(c for c in released if c not in cache_held)}
        if to_cache:
            detail["stays_in_build_cache"] = sum(usage.layer_sizes.get(c, 0) for c in to_cache)
            detail["build_cache_records"] = sorted(cache_held[c] for c in to_cache)
            reason += f"; {detail['stays_in_build_cache']} bytes of its layers stay as build cache"
        if not image.sizes_exact:
            detail["sizes_exact"] = False
        entries.append(PlanEntry("image", image.id, image.name, reason, size, detail))
    return entries


def _build_cache_entries(usage: EngineUsage, filters: Filters, notes: list[str],
                         unshared: set[str] = frozenset()) -> list[PlanEntry]:
    """Unused records, children before parents. `unshared`: records whose image this plan removes
    first, so that they free their bytes when pruned."""
    records = usage.build_cache
    children: dict[str, list[str]] = {}
    for r in records.values():
        if r.parent:
            children.setdefault(r.parent, []).append(r.id)
    by_label = bool(filters.labels.required)
    if by_label:
        notes.append("build cache records carry no labels: with label= only the records holding layers of "
                     "images this plan removes are selected")
    # A record shared with an image that stays frees nothing when pruned (the image keeps the
    # bytes) and would only cost a rebuild, so it is not selected.
    wanted = {r.id for r in records.values()
              if not r.in_use and _until_ok(r.last_used_ns, filters) and (not by_label or r.id in unshared)
              and (not r.shared or r.id in unshared)}
    # BuildKit removes a record only once nothing depends on it: drop records with a kept child.
    changed = True
    while changed:
        changed = False
        for rid in list(wanted):
            if any(child not in wanted for child in children.get(rid, [])):
                wanted.discard(rid)
                changed = True
    # Children before parents, so each removal finds its record free.
    order: list[str] = []
    seen: set[str] = set()

    def visit(rid: str) -> None:
        if rid in seen:
            return
        seen.add(rid)
        for child in children.get(rid, []):
            if child in wanted:
                visit(child)
        order.append(rid)

    for rid in sorted(wanted, key=lambda r: (records[r].last_used_ns, r)):
        visit(rid)
    entries = []
    for rid in order:
        r = records[rid]
        if r.shared:
            reason, size = "unused build cache (its image goes in this plan)", r.size
        else:
            reason, size = "unused build cache", r.size
        entries.append(PlanEntry("build-cache", r.id, r.description or r.type, reason, size,
                                 {"type": r.type, "shared": r.shared, "size": r.size}))
    return entries


