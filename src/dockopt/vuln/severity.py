"""A match's severity: from a CVSS vector (score computed here), else the ecosystem's own
rating (GHSA `database_specific.severity`, Ubuntu priority, Debian urgency …), else unrated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dockopt.findings import Severity
from dockopt.vuln.cvss import InvalidVector, base_score, severity_of_score

# Unrated vulnerabilities are reported as medium: unknown must not look harmless to a gate.
UNRATED = Severity.MEDIUM

RATING_WORDS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.LOW,
    "unimportant": Severity.INFO,
    "informational": Severity.INFO,
    "none": Severity.INFO,
}

_CVSS_PREFERENCE = {"CVSS_V3": 0, "CVSS_V4": 1, "CVSS_V2": 2}


@dataclass(frozen=True)
class Rating:
    severity: Severity
    source: str
    """How it was decided, e.g. "CVSS_V3 vector, base score 9.8" or "ecosystem rating 'HIGH'"."""
    score: float | None = None
    vector: str | None = None


def rate(entries: list[dict[str, Any]], rating_word: str | None) -> Rating:
    """`entries`: OSV `severity` lists (the package's first, then the record's)."""
    cvss = sorted((e for e in entries if e.get("type") in _CVSS_PREFERENCE),
                  key=lambda e: _CVSS_PREFERENCE[e["type"]])
    unscored_vector = None
    for entry in cvss:
        vector = str(entry.get("score", ""))
        try:
            score = base_score(vector)
        except InvalidVector:
            continue
        if score is None:
            unscored_vector = unscored_vector or vector
            continue
        return Rating(severity_of_score(score), f"{entry['type']} vector, base score {score:.1f}", score, vector)
    words = [rating_word] + [str(e.get("score")) for e in entries if e.get("type") not in _CVSS_PREFERENCE]
    for word in words:
        if word and word.strip().lower() in RATING_WORDS:
            return Rating(RATING_WORDS[word.strip().lower()], f"ecosystem rating {word!r}", None, unscored_vector)
    return Rating(UNRATED, f"unrated (reported as {UNRATED})", None, unscored_vector)
