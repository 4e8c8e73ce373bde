"""Formatting of quantities for people: bytes, counts with their noun. Below every analysis and
every renderer, so both may use it."""

from __future__ import annotations


def human_bytes(n: int | float | None) -> str:
    if n is None:
        return "-"
    sign = "-" if n < 0 else ""
    n = abs(float(n))
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{sign}{n:.0f} {unit}" if unit == "B" else f"{sign}{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """'1 package', '2 packages', '0 vulnerabilities' (pass the plural when it is not +s)."""
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
