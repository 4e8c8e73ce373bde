"""Tables for `dockopt disk` and `dockopt prune` (the JSON forms are the report dicts themselves)."""

from __future__ import annotations

from typing import Any, Sequence

from dockopt.report.output import human_bytes
from dockopt.report.layout import output_width, prose, table
from dockopt.units import plural


def short(object_id: str) -> str:
    return object_id.split(":", 1)[-1][:12]


def render_disk(report: dict[str, Any], width: int | None = None) -> str:
    width = width or output_width()
    out = []
    s = report["summary"]
    rows = [(kind.replace("_", " "), v["count"], v["active"], human_bytes(v["size"]), human_bytes(v["reclaimable"]))
            for kind, v in s.items()]
    out.append(table(("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"), rows, right=(1, 2, 3, 4)))
    engine = s["images"]["engine_reclaimable"]
    if engine != s["images"]["reclaimable"]:
        out.append(prose(f"(docker system df would say {human_bytes(engine)} reclaimable for images; removing every "
                         f"unused image frees exactly {human_bytes(s['images']['reclaimable'])})", width))
    if report["images"]:
        rows = [(", ".join(i["tags"]) or "<none>", short(i["id"]), human_bytes(i["size"]), human_bytes(i["shared"]),
                 human_bytes(i["unique"]), ", ".join(c["name"] for c in i["containers"]) or "-")
                for i in report["images"]]
        out.append("\nImages\n" + table(("IMAGE", "ID", "SIZE", "SHARED", "UNIQUE", "USED BY"), rows, right=(2, 3, 4),
                                        width=width, shrink=(0, 5)))
    if report["repositories"]:
        rows = [(r["repository"], r["images"], r["tags"], human_bytes(r["size"]), human_bytes(r["exclusive"]))
                for r in report["repositories"]]
        out.append("\nRepositories\n" + table(("REPOSITORY", "IMAGES", "TAGS", "SIZE", "ONLY HERE"), rows,
                                              right=(1, 2, 3, 4), width=width, shrink=(0,)))
    if report["containers"]:
        rows = [(c["name"], short(c["id"]), c["image"], c["state"], human_bytes(c["size_rw"]))
                for c in report["containers"]]
        out.append("\nContainers (writable layers)\n" + table(("NAME", "ID", "IMAGE", "STATE", "SIZE"), rows,
                                                              right=(4,), width=width, shrink=(0, 2)))
    if report["volumes"]:
        rows = [(v["name"], human_bytes(v["size"]) if v["size"] >= 0 else "?", ", ".join(v["used_by"]) or "-")
                for v in report["volumes"]]
        out.append("\nVolumes\n" + table(("VOLUME", "SIZE", "USED BY"), rows, right=(1,), width=width, shrink=(0, 2)))
    if report["build_cache"]:
        cache = s["build_cache"]
        out.append("\n" + prose(f"Build cache: {plural(cache['count'], 'record')}, {human_bytes(cache['size'])} not "
                                f"counted under images (the engine reports {human_bytes(cache['engine_size'])}, "
                                "counting records that are image layers too)", width))
    rows = [(p["command"], p["objects"], human_bytes(p["bytes"])) for p in report["plans"]]
    out.append("\nWhat each prune would free (exact, from layer sharing)\n"
               + table(("PLAN", "OBJECTS", "FREES"), rows, right=(1, 2)))
    return "".join(out)


def render_plan(plan_dict: dict[str, Any], width: int | None = None) -> str:
    width = width or output_width()
    out = []
    entries = plan_dict["objects"]
    if entries:
        rows = [(e["kind"], e["name"], short(e["id"]) if e["kind"] != "volume" else "", human_bytes(e["bytes"]),
                 e["reason"]) for e in entries]
        out.append(table(("KIND", "NAME", "ID", "FREES", "WHY"), rows, right=(3,), width=width, shrink=(1,)))
    else:
        out.append("Nothing to prune.\n")
    if plan_dict["kept"]:
        rows = [(k["kind"], k["name"], k["reason"]) for k in plan_dict["kept"]]
        out.append("\nKept\n" + table(("KIND", "NAME", "WHY"), rows, width=width, shrink=(1,)))
    for note in plan_dict["notes"]:
        out.append(f"note: {note}\n")
    predicted = plan_dict["predicted_bytes"]
    summary = f"{plural(len(entries), 'object')}, {human_bytes(predicted)} ({predicted} bytes) would be freed."
    if plan_dict["dry_run"]:
        summary += " Dry run: nothing removed; add --yes to remove."
    out.append("\n" + prose(summary, width))
    return "".join(out)


def render_result(result: dict[str, Any]) -> str:
    out = []
    for o in result["outcomes"]:
        if not o["removed"]:
            out.append(f"skipped {o['kind']} {o['name']}: {o.get('message', '')}\n")
    removed = sum(1 for o in result["outcomes"] if o["removed"])
    out.append(f"Removed {removed} of {plural(len(result['outcomes']), 'object')}. Predicted {human_bytes(result['predicted_bytes'])}"
               f" ({result['predicted_bytes']} bytes); freed {human_bytes(result['freed_bytes'])}"
               f" ({result['freed_bytes']} bytes) by the engine's replies, {result['engine_freed_bytes']} bytes by"
               f" its disk usage before/after.\n")
    return "".join(out)
