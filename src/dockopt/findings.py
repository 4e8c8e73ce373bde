"""The one finding model shared by lint, image checks, vulnerabilities and policy results.

Every renderer, ignore rule, baseline and exit-code threshold works on `Finding`, whatever
produced it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """Ordered severities; comparisons (`>=`) implement thresholds."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.name.lower() for s in cls)
            from dockopt.errors import UsageError

            raise UsageError(f"unknown severity {text!r} (expected one of: {names})") from None

    def __str__(self) -> str:
        return self.name.lower()


class Category(str, enum.Enum):
    SIZE = "size"
    SECURITY = "security"
    SPEED = "speed"
    CORRECTNESS = "correctness"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file position, or a layer and path inside an image (or both empty)."""

    file: str | None = None
    """Path of the Dockerfile or other text file, as the user named it."""
    line: int | None = None
    """1-based first line."""
    column: int | None = None
    """1-based column on `line`, when known."""
    end_line: int | None = None
    """1-based last line (inclusive), when the finding spans several lines."""
    layer_index: int | None = None
    """0-based index of the layer among the image's layers (empty layers excluded)."""
    layer_digest: str | None = None
    """diff-ID of that layer."""
    path: str | None = None
    """Absolute path inside the image filesystem."""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        parts = []
        if self.layer_index is not None:
            parts.append(f"layer {self.layer_index}")
        if self.path:
            parts.append(self.path)
        return " ".join(parts)


@dataclass(frozen=True)
class TextEdit:
    """Replace text between two 0-based character offsets of a file."""

    start: int
    end: int
    replacement: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[TextEdit, ...] = ()


@dataclass(frozen=True)
class Finding:
    rule_id: str
    """Stable rule identifier, e.g. `DO101` or `waste.layer`."""
    severity: Severity
    category: Category
    message: str
    location: Location = field(default_factory=Location)
    title: str | None = None
    """Short rule title (the same for every finding of that rule)."""
    estimated_bytes: int | None = None
    """Bytes a fix would save, when it can be estimated."""
    fix: Fix | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """Evidence for the user: matched pattern, package, record id, redacted value…"""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "severity": str(self.severity),
            "category": str(self.category),
            "message": self.message,
            "location": self.location.to_dict(),
        }
        if self.title:
            out["title"] = self.title
        if self.estimated_bytes is not None:
            out["estimated_bytes"] = self.estimated_bytes
        if self.fix is not None:
            out["fix"] = {"description": self.fix.description}
        if self.details:
            out["details"] = self.details
        return out


def worst(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)


def exceeds(findings: list[Finding], threshold: Severity | None) -> bool:
    """True when any finding is at or above `threshold` (None means never fail)."""
    return threshold is not None and any(f.severity >= threshold for f in findings)
