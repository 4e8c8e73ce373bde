"""Waste, defined honestly: bytes of file versions that do not survive into the final filesystem.

A version counts as wasted when a later whiteout deletes it or a later version replaces it; the
surviving copy is never counted (dive counts it too, see its issue #684). Every stored file
version either survives or is hidden, so total = final + wasted holds exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dockopt.image.filesystem import HiddenVersion
from dockopt.image.scan import ScanResult


@dataclass
class LayerWaste:
    index: int
    created_by: str
    blob_size: int | None
    files: int
    bytes: int
    added_bytes: int
    modified_bytes: int
    removed_bytes: int
    wasted_bytes: int
    """Bytes stored in this layer that do not survive."""
    from_base: bool


@dataclass
class WasteReport:
    total_bytes: int
    final_bytes: int
    wasted_bytes: int
    base_layers: int
    user_bytes: int
    user_wasted_bytes: int
    base_bytes_hidden_by_user: int
    """Base-image bytes that the user's layers delete: they still ship, in the base layers."""
    layers: list[LayerWaste]
    top: list[HiddenVersion] = field(default_factory=list)

    @property
    def efficiency(self) -> float:
        return self.final_bytes / self.total_bytes if self.total_bytes else 1.0

    @property
    def user_wasted_ratio(self) -> float:
        return self.user_wasted_bytes / self.user_bytes if self.user_bytes else 0.0


def compute_waste(result: ScanResult, base_layers: int, top: int = 10) -> WasteReport:
    hidden = result.fs.hidden
    wasted_by_layer: dict[int, int] = {}
    for h in hidden:
        wasted_by_layer[h.added_in] = wasted_by_layer.get(h.added_in, 0) + h.size
    layers = []
    for scan in result.layers:
        i = scan.layer.index
        layers.append(LayerWaste(
            index=i, created_by=scan.layer.created_by, blob_size=scan.layer.size, files=scan.file_count,
            bytes=scan.file_bytes, added_bytes=scan.changes.added_bytes, modified_bytes=scan.changes.modified_bytes,
            removed_bytes=scan.changes.removed_bytes, wasted_bytes=wasted_by_layer.get(i, 0), from_base=i < base_layers))
    total = sum(layer.bytes for layer in layers)
    user_bytes = sum(layer.bytes for layer in layers if not layer.from_base)
    ranked = sorted(hidden, key=lambda h: (-h.size, h.path, h.added_in))
    return WasteReport(
        total_bytes=total, final_bytes=result.fs.total_file_bytes, wasted_bytes=sum(h.size for h in hidden),
        base_layers=base_layers, user_bytes=user_bytes,
        user_wasted_bytes=sum(h.size for h in hidden if h.added_in >= base_layers),
        base_bytes_hidden_by_user=sum(h.size for h in hidden if h.added_in < base_layers <= h.hidden_in),
        layers=layers, top=[h for h in ranked if h.size > 0][:top])
