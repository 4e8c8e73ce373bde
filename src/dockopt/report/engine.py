"""Tables for `dockopt disk` and `dockopt prune` (the JSON forms are the report dicts themselves)."""

from __future__ import annotations

from typing import Any, Sequence

from dockopt.report.output import human_bytes
from dockopt.units import plural


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[int] = ()) -> str:
    """A plain aligned text table: readable in a terminal, in a pipe and in a CI log alike."""
    cells = [[str(h) for h in headers]] + [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines) + "\n"


def short(object_id: str) -> str:
    return object_id.split(":", 1)[-1][:12]


def render_disk(report: dict[str, Any]) -> str:
    out = []
    s = report["summary"]
    rows = [(kind.replace("_", " "), v["count"], v["active"], human_bytes(v["size"]), human_bytes(v["reclaimable"]))
            for kind, v in s.items()]
    out.append(table(("TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"), rows, right=(1, 2, 3, 4)))
    engine = s["images"]["engine_reclaimable"]
    if engine != s["images"]["reclaimable"]:
        out.append(f"(docker system df would say {human_bytes(engine)} reclaimable for images; removing every unused "
                   f"image frees exactly {human_bytes(s['images']['reclaimable'])})\n")
    if report["images"]:
        rows = [(", ".join(i["tags"]) or "<none>", short(i["id"]), human_bytes(i["size"]), human_bytes(i["shared"]),
                 human_bytes(i["unique"]), ", ".join(c["name"] for c in i["containers"]) or "-")
                for i in report["images"]]
        out.append("\nImages\n" + table(("IMAGE", "ID", "SIZE", "SHARED", "UNIQUE", "USED BY"), rows, right=(2, 3, 4)))
    if report["repositories"]:
        rows = [(r["repository"], r["images"], r["tags"], human_bytes(r["size"]), human_bytes(r["exclusive"]))
                for r in report["repositories"]]
        out.append("\nRepositories\n" + table(("REPOSITORY", "IMAGES", "TAGS", "SIZE", "ONLY HERE"), rows,
                                              right=(1, 2, 3, 4)))
    if report["containers"]:
        rows = [(c["name"], short(c["id"]), c["image"], c["state"], human_bytes(c["size_rw"]))
                for c in report["containers"]]
        out.append("\nContainers (writable layers)\n" + table(("NAME", "ID", "IMAGE", "STATE", "SIZE"), rows,
                                                              right=(4,)))
    if report["volumes"]:
        rows = [(v["name"], human_bytes(v["size"]) if v["size"] >= 0 else "?", ", ".join(v["used_by"]) or "-")
                for v in report["volumes"]]
        out.append("\nVolumes\n" + table(("VOLUME", "SIZE", "USED BY"), rows, right=(1,)))
    if report["build_cache"]:
        cache = s["build_cache"]
        out.append(f"\nBuild cache: {cache['count']} records, {human_bytes(cache['size'])} not counted under images"
                   f" (the engine reports {human_bytes(cache['engine_size'])}, counting records that are image"
                   f" layers too)\n")
    rows = [(p["command"], p["objects"], human_bytes(p["bytes"])) for p in report["plans"]]
    out.append("\nWhat each prune would free (exact, from layer sharing)\n"
               + table(("PLAN", "OBJECTS", "FREES"), rows, right=(1, 2)))
    return "".join(out)


def render_plan(plan_dict: dict[str, Any]) -> str:
    out = []
    entries = plan_dict["objects"]
    if entries:
        rows = [(e["kind"], e["name"], short(e["id"]) if e["kind"] != "volume" else "", human_bytes(e["bytes"]),
                 e["reason"]) for e in entries]
        out.append(table(("KIND", "NAME", "ID", "FREES", "WHY"), rows, right=(3,)))
    else:
        out.append("Nothing to prune.\n")
    if plan_dict["kept"]:
        rows = [(k["kind"], k["name"], k["reason"]) for k in plan_dict["kept"]]
        out.append("\nKept\n" + table(("KIND", "NAME", "WHY"), rows))
    for note in plan_dict["notes"]:
        out.append(f"note: {note}\n")
    predicted = plan_dict["predicted_bytes"]
    out.append(f"\n{plural(len(entries), 'object')}, {human_bytes(predicted)} ({predicted} bytes) would be freed.")
    if plan_dict["dry_run"]:
        out.append(" Dry run: nothing removed; add --yes to remove.\n")
    else:
        out.append("\n")
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
