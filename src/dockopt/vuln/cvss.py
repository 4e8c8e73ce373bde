"""CVSS base scores computed from vectors (v3.0, v3.1 and v2), so severity never depends on a
score someone else rounded. CVSS v4 vectors are recognised but not scored here (their scoring
needs the specification's macro-vector table); callers fall back to another rating."""

from __future__ import annotations

import math

from dockopt.findings import Severity

_V3_WEIGHTS = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_V3_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}

_V2_WEIGHTS = {
    "AV": {"L": 0.395, "A": 0.646, "N": 1.0},
    "AC": {"H": 0.35, "M": 0.61, "L": 0.71},
    "Au": {"M": 0.45, "S": 0.56, "N": 0.704},
    "C": {"N": 0.0, "P": 0.275, "C": 0.660},
    "I": {"N": 0.0, "P": 0.275, "C": 0.660},
    "A": {"N": 0.0, "P": 0.275, "C": 0.660},
}


class InvalidVector(ValueError):
    pass


def _metrics(parts: list[str]) -> dict[str, str]:
    metrics: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition(":")
        if not sep or not value:
            raise InvalidVector(f"bad CVSS metric {part!r}")
        metrics[name] = value
    return metrics


def _roundup_31(value: float) -> float:
    # CVSS 3.1 Roundup: avoids floating-point artefacts (e.g. 4.000000001 -> 4.1).
    as_int = round(value * 100000)
    if as_int % 10000 == 0:
        return as_int / 100000.0
    return (math.floor(as_int / 10000) + 1) / 10.0


def _roundup_30(value: float) -> float:
    return math.ceil(value * 10) / 10.0


def v3_base_score(vector: str) -> float:
    parts = vector.strip().split("/")
    if not parts[0].startswith("CVSS:3."):
        raise InvalidVector(f"not a CVSS v3 vector: {vector!r}")
    roundup = _roundup_30 if parts[0] == "CVSS:3.0" else _roundup_31
    m = _metrics(parts[1:])
    try:
        scope = m["S"]
        av, ac, ui = (_V3_WEIGHTS[k][m[k]] for k in ("AV", "AC", "UI"))
        pr = _V3_PR[scope][m["PR"]]
        c, i, a = (_V3_WEIGHTS[k][m[k]] for k in ("C", "I", "A"))
    except KeyError as exc:
        raise InvalidVector(f"CVSS v3 vector {vector!r} lacks or misspells {exc}") from None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    if scope == "U":
        impact = 6.42 * iss
    else:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    exploitability = 8.22 * av * ac * pr * ui
    if impact <= 0:
        return 0.0
    if scope == "U":
        return roundup(min(impact + exploitability, 10))
    return roundup(min(1.08 * (impact + exploitability), 10))


def v2_base_score(vector: str) -> float:
    text = vector.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    m = _metrics(text.split("/"))
    try:
        av, ac, au, c, i, a = (_V2_WEIGHTS[k][m[k]] for k in ("AV", "AC", "Au", "C", "I", "A"))
    except KeyError as exc:
        raise InvalidVector(f"CVSS v2 vector {vector!r} lacks or misspells {exc}") from None
    impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a))
    exploitability = 20 * av * ac * au
    f_impact = 0 if impact == 0 else 1.176
    return round((0.6 * impact + 0.4 * exploitability - 1.5) * f_impact + 1e-9, 1)


def base_score(vector: str) -> float | None:
    """The base score of a v2 or v3.x vector; None for v4 (not scored here)."""
    text = vector.strip()
    if text.startswith("CVSS:3."):
        return v3_base_score(text)
    if text.startswith("CVSS:4."):
        return None
    return v2_base_score(text)


def severity_of_score(score: float) -> Severity:
    """CVSS qualitative rating: none (as info), low, medium, high, critical."""
    if score == 0:
        return Severity.INFO
    if score < 4.0:
        return Severity.LOW
    if score < 7.0:
        return Severity.MEDIUM
    if score < 9.0:
        return Severity.HIGH
    return Severity.CRITICAL
