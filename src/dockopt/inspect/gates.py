"""CI gates for `analyze`, with dive's names and semantics:
lowestEfficiency (fail below), highestWastedBytes (fail above), highestUserWastedPercent
(a ratio, fail above). Any gate may be `disabled`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockopt.errors import UsageError
from dockopt.findings import Category, Finding, Severity
from dockopt.inspect.waste import WasteReport

GATES = ("lowestEfficiency", "highestWastedBytes", "highestUserWastedPercent")
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "kib": 1024, "mib": 1024**2, "gib": 1024**3, "ki": 1024, "mi": 1024**2, "gi": 1024**3}


def parse_bytes(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise UsageError(f"invalid byte size {text!r} (e.g. 20MB, 512KiB, 1000)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_ratio(text: str) -> float:
    t = str(text).strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise UsageError(f"invalid ratio {text!r} (e.g. 0.1 or 10%)") from None
    if not 0 <= value <= 1:
        raise UsageError(f"ratio {text!r} must lie between 0 and 1 (or 0% and 100%)")
    return value


@dataclass(frozen=True)
class Gates:
    lowest_efficiency: float | None = None
    highest_wasted_bytes: int | None = None
    highest_user_wasted_percent: float | None = None

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> "Gates":
        kwargs: dict[str, object] = {}
        for key, raw in values.items():
            if key not in GATES:
                raise UsageError(f"unknown gate {key!r} (expected one of: {', '.join(GATES)})")
            if raw is None or str(raw).strip().lower() == "disabled":
                continue
            if key == "lowestEfficiency":
                kwargs["lowest_efficiency"] = parse_ratio(str(raw))
            elif key == "highestWastedBytes":
                kwargs["highest_wasted_bytes"] = parse_bytes(str(raw))
            else:
                kwargs["highest_user_wasted_percent"] = parse_ratio(str(raw))
        return cls(**kwargs)  # type: ignore[arg-type]

    def evaluate(self, waste: WasteReport) -> list[tuple[str, str, bool]]:
        """(gate, explanation, passed) for every enabled gate."""
        out = []
        if self.lowest_efficiency is not None:
            ok = waste.efficiency >= self.lowest_efficiency
            out.append(("lowestEfficiency", f"efficiency {waste.efficiency:.4f} (minimum {self.lowest_efficiency})", ok))
        if self.highest_wasted_bytes is not None:
            ok = waste.wasted_bytes <= self.highest_wasted_bytes
            out.append(("highestWastedBytes", f"wasted {waste.wasted_bytes} bytes (maximum {self.highest_wasted_bytes})", ok))
        if self.highest_user_wasted_percent is not None:
            ok = waste.user_wasted_ratio <= self.highest_user_wasted_percent
            out.append(("highestUserWastedPercent",
                        f"user wasted {waste.user_wasted_ratio:.4f} (maximum {self.highest_user_wasted_percent})", ok))
        return out


def gate_findings(results: list[tuple[str, str, bool]]) -> list[Finding]:
    return [Finding(rule_id=f"gate.{name}", severity=Severity.HIGH, category=Category.SIZE,
                    message=f"{name} failed: {why}", title=f"analyze gate {name}")
            for name, why, ok in results if not ok]
