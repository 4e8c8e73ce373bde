"""Image checks that ride on the one streaming pass and turn what they saw into findings.

Each family (secrets, tools, privilege, leftovers) is a `Visitor` that collects while the layers
stream past and, once the base/user split is known, produces `Finding`s. Nothing reads a layer
twice; a check that needs file content asks for a bounded prefix in `entry`.
"""

from __future__ import annotations

from typing import Any, Sequence

from dockopt.errors import UsageError
from dockopt.findings import Finding
from dockopt.image.scan import LayerRef, ScanResult, Visitor

FAMILIES = ("waste", "secrets", "tools", "privilege", "leftovers")
"""Every check family `analyze --checks` accepts, in report order."""


class ImageCheck(Visitor):
    """A visitor whose result is a list of findings."""

    family = "check"

    def findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        """Findings for the scanned image; layers with index < `base_layers` come from the base."""
        return []


def first_index(ref: LayerRef) -> int:
    """The image position of a blob (a blob used twice is reported at its first position)."""
    return ref.indices[0] if ref.indices else -1


def layer_label(result: ScanResult, index: int, base_layers: int = 0) -> str:
    """`layer 3 (RUN apt-get install …)` for messages; `layer 0 (base image)` below the base boundary."""
    if index < base_layers:
        return f"layer {index} (base image)"
    for scan in result.layers:
        if scan.layer.index == index:
            created = scan.layer.created_by.strip()
            return f"layer {index} ({created[:60]}{'…' if len(created) > 60 else ''})" if created else f"layer {index}"
    return f"layer {index}"


def layer_digest(result: ScanResult, index: int) -> str | None:
    for scan in result.layers:
        if scan.layer.index == index:
            return scan.layer.diff_id
    return None


def parse_checks(value: str | Sequence[str] | None) -> list[str]:
    """`"waste,secrets"` -> ["waste", "secrets"]; None or "all" -> every family."""
    if value is None:
        return list(FAMILIES)
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    names = [v.strip().lower() for v in items if v.strip()]
    if not names or names == ["all"]:
        return list(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r} (expected a comma-separated list of: {', '.join(FAMILIES)}, or all)")
    return [f for f in FAMILIES if f in names]


def make_checks(families: Sequence[str], settings: dict[str, Any] | None = None) -> list[ImageCheck]:
    """The visitors for the selected families (waste is computed by analyze itself)."""
    from dockopt.inspect.leftovers import LeftoversCheck
    from dockopt.inspect.privilege import PrivilegeCheck
    from dockopt.inspect.secrets import SecretsCheck
    from dockopt.inspect.tools import ToolsCheck

    settings = settings or {}
    out: list[ImageCheck] = []
    if "secrets" in families:
        out.append(SecretsCheck.from_settings(settings.get("secrets") or {}))
    if "tools" in families:
        out.append(ToolsCheck())
    if "privilege" in families:
        out.append(PrivilegeCheck())
    if "leftovers" in families:
        out.append(LeftoversCheck())
    return out
