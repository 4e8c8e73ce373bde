"""Executing a prune plan: remove each object without force, skip what the engine refuses.

Nothing is forced: the engine itself refuses to remove an image a container uses, a running
container or a volume in use. A refusal (e.g. a container created from a selected image after
the plan was made) skips that object with a message and the run continues.

Freed bytes are reported two ways: from the engine's own replies (the layers it says it deleted,
sized with their DiffSize; the container's SizeRw; the volume's size; BuildKit's SpaceReclaimed)
and from the engine's disk-usage totals before and after. On an engine nobody else uses the two
agree; concurrent activity by others shows up only in the second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from dockopt.engine.client import first_line, is_not_found
from dockopt.engine.filters import split_repo_tag
from dockopt.engine.plan import PlanEntry, PrunePlan
from dockopt.engine.usage import EngineTotals, EngineUsage, measure_totals


@dataclass
class Outcome:
    entry: PlanEntry
    removed: bool
    freed: int
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.entry.kind, "id": self.entry.id, "name": self.entry.name, "removed": self.removed,
                "predicted_bytes": self.entry.bytes, "freed_bytes": self.freed,
                **({"message": self.message} if self.message else {})}


@dataclass
class PruneResult:
    outcomes: list[Outcome]
    before: EngineTotals
    after: EngineTotals
    notes: list[str] = field(default_factory=list)

    @property
    def reported_freed(self) -> int:
        return sum(o.freed for o in self.outcomes)

    @property
    def measured_freed(self) -> int:
        return self.before.total - self.after.total

    def measured_by_kind(self) -> dict[str, int]:
        b, a = self.before, self.after
        return {"container": b.containers_size_rw - a.containers_size_rw, "image": b.layers_size - a.layers_size,
                "volume": b.volumes_size - a.volumes_size, "build-cache": b.build_cache_size - a.build_cache_size}

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.removed]


def execute_plan(client: Any, usage: EngineUsage, plan: PrunePlan,
                 on_outcome: Callable[[Outcome], None] | None = None) -> PruneResult:
    before = measure_totals(client)
    outcomes = []
    for entry in plan.entries:
        remover = {"container": _remove_container, "image": _remove_image, "volume": _remove_volume,
                   "build-cache": _remove_build_cache}[entry.kind]
        outcome = remover(client, usage, entry)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    after = measure_totals(client)
    return PruneResult(outcomes, before, after)


def _refusal(exc: Exception) -> str:
    if is_not_found(exc):
        return "already gone (removed by someone else)"
    return "engine refused: " + first_line(exc)


def _remove_container(client: Any, usage: EngineUsage, entry: PlanEntry) -> Outcome:
    try:
        client.api.remove_container(entry.id, v=False, force=False)
    except Exception as exc:
        return Outcome(entry, False, 0, _refusal(exc))
    return Outcome(entry, True, entry.bytes)


def _remove_volume(client: Any, usage: EngineUsage, entry: PlanEntry) -> Outcome:
    try:
        client.api.remove_volume(entry.id, force=False)
    except Exception as exc:
        return Outcome(entry, False, 0, _refusal(exc))
    return Outcome(entry, True, entry.bytes)


def _remove_build_cache(client: Any, usage: EngineUsage, entry: PlanEntry) -> Outcome:
    try:
        # The engine takes one value per build-cache filter key; `id` matches as a pattern, and
        # record IDs are fixed-length random strings, so the full ID names exactly one record.
        reply = client.api.prune_builds(filters={"id": [entry.id]}, all=True)
    except Exception as exc:
        return Outcome(entry, False, 0, _refusal(exc))
    removed = entry.id in (reply.get("CachesDeleted") or [])
    return Outcome(entry, removed, int(reply.get("SpaceReclaimed") or 0),
                   "" if removed else "the engine kept it (in use or still referenced)")


def _remove_image(client: Any, usage: EngineUsage, entry: PlanEntry) -> Outcome:
    """Remove every reference of the image, then the image; undo the untagging if it is refused.

    Without force the engine deletes an image by ID only when at most one repository refers to
    it, and it untags a name even when a container uses the image (if other names remain). So
    tags go one by one, the last one removing the image; if that is refused, the tags removed
    before are put back, leaving the image as it was.
    """
    try:
        current = client.api.inspect_image(entry.id)
    except Exception as exc:
        return Outcome(entry, False, 0, _refusal(exc))
    if current.get("Id") != entry.id:
        return Outcome(entry, False, 0, "the image changed since the plan was made")
    tags = [t for t in current.get("RepoTags") or [] if t != "<none>:<none>"]
    planned = set(entry.detail.get("tags") or [])
    extra = [t for t in tags if t not in planned]
    if extra:
        return Outcome(entry, False, 0, f"skipped: tagged {', '.join(extra)} since the plan was made")
    deleted: list[str] = []
    untagged: list[str] = []
    try:
        for tag in tags:
            reply = client.api.remove_image(tag, force=False, noprune=False)
            untagged.append(tag)
            deleted += [item["Deleted"] for item in reply or [] if item.get("Deleted")]
        if not _image_gone(client, entry.id):
            reply = client.api.remove_image(entry.id, force=False, noprune=False)
            deleted += [item["Deleted"] for item in reply or [] if item.get("Deleted")]
    except Exception as exc:
        message = _refusal(exc)
        if not is_not_found(exc):
            restored = untagged and not _image_gone(client, entry.id) and _retag(client, entry.id, untagged)
            if restored:
                message += f" (tags {', '.join(untagged)} restored)"
        return Outcome(entry, False, 0, message)
    freed = sum(usage.layer_sizes.get(d, 0) for d in deleted)
    return Outcome(entry, True, freed)


def _image_gone(client: Any, image_id: str) -> bool:
    try:
        client.api.inspect_image(image_id)
    except Exception as exc:
        return is_not_found(exc)
    return False


def _retag(client: Any, image_id: str, tags: list[str]) -> bool:
    ok = True
    for tag in tags:
        repository, tag_part = split_repo_tag(tag)
        try:
            client.api.tag(image_id, repository, tag_part)
        except Exception:
            ok = False
    return ok



PRUNE_SCHEMA_VERSION = 1


def prune_report(plan: PrunePlan, selection_text: list[str], result: PruneResult | None) -> dict[str, Any]:
    """The JSON form of a plan (and of its execution, with --yes)."""
    report: dict[str, Any] = {
        "schema_version": PRUNE_SCHEMA_VERSION,
        "dry_run": result is None,
        "selection": selection_text,
        "predicted_bytes": plan.predicted_bytes,
        "predicted_by_kind": plan.by_kind(),
        "objects": [e.as_dict() for e in plan.entries],
        "kept": [k.as_dict() for k in plan.kept],
        "notes": plan.notes,
    }
    if result is not None:
        report["result"] = {
            "predicted_bytes": plan.predicted_bytes,
            "freed_bytes": result.reported_freed,
            "engine_freed_bytes": result.measured_freed,
            "engine_freed_by_kind": result.measured_by_kind(),
            "engine_before": result.before.as_dict(),
            "engine_after": result.after.as_dict(),
            "removed": sum(1 for o in result.outcomes if o.removed),
            "skipped": len(result.skipped),
            "outcomes": [o.as_dict() for o in result.outcomes],
        }
    return report
