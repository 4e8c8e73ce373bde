"""RPM versions: `[epoch:]version[-release]`, compared like rpm's `rpmvercmp` on each part.

rpmvercmp walks alphanumeric segments, skipping separators: `~` sorts before anything (even the
end), `^` sorts after the end but before any further segment, a numeric segment beats an alphabetic
one, numbers compare without leading zeros, letters compare as bytes.
"""

from __future__ import annotations

from dockopt.vuln.versions import CmpKey, InvalidVersion, bounded


def _isalnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _run(text: str, start: int, digits: bool) -> int:
    end = start
    n = len(text)
    if digits:
        while end < n and text[end].isascii() and text[end].isdigit():
            end += 1
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
    return end


def vercmp(a: str, b: str) -> int:
    """rpm's segment comparison of two version (or release) strings."""
    if a == b:
        return 0
    i = j = 0
    na, nb = len(a), len(b)
    while i < na or j < nb:
        while i < na and not _isalnum(a[i]) and a[i] not in "~^":
            i += 1
        while j < nb and not _isalnum(b[j]) and b[j] not in "~^":
            j += 1
        ca = a[i] if i < na else ""
        cb = b[j] if j < nb else ""
        if ca == "~" or cb == "~":
            if ca != "~":
                return 1
            if cb != "~":
                return -1
            i += 1
            j += 1
            continue
        if ca == "^" or cb == "^":
            if not ca:
                return -1
            if not cb:
                return 1
            if ca != "^":
                return 1
            if cb != "^":
                return -1
            i += 1
            j += 1
            continue
        if not ca or not cb:
            break
        numeric = ca.isdigit()
        ei = _run(a, i, numeric)
        ej = _run(b, j, numeric)
        seg_a, seg_b = a[i:ei], b[j:ej]
        i, j = ei, ej
        if not seg_b:
            # Segments of different kinds: numeric is newer than alphabetic.
            return 1 if numeric else -1
        if numeric:
            seg_a = seg_a.lstrip("0")
            seg_b = seg_b.lstrip("0")
            if len(seg_a) != len(seg_b):
                return 1 if len(seg_a) > len(seg_b) else -1
        if seg_a != seg_b:
            return 1 if seg_a > seg_b else -1
    if i >= na and j >= nb:
        return 0
    return -1 if i >= na else 1


def split(text: str) -> tuple[str | None, str, str | None]:
    """(epoch, version, release); missing parts are None."""
    text = text.strip()
    if not text:
        raise InvalidVersion("empty RPM version")
    epoch = None
    if ":" in text:
        epoch, text = text.split(":", 1)
        if not epoch.isdigit():
            raise InvalidVersion(f"bad epoch in RPM version {epoch!r}")
    version, sep, release = text.rpartition("-") if "-" in text else (text, "", "")
    return epoch, version, (release if sep else None)


def _cmp_optional(a: str | None, b: str | None) -> int:
    if a is None and b is None:
        return 0
    if b is None:
        return 1
    if a is None:
        return -1
    return vercmp(a, b)


def evr_compare(a: tuple[str | None, str, str | None], b: tuple[str | None, str, str | None]) -> int:
    # A missing epoch is 0; a missing release sorts before any release (as rpm.vercmp does).
    return (vercmp(a[0] or "0", b[0] or "0") or vercmp(a[1], b[1]) or _cmp_optional(a[2], b[2]))


@bounded
def key(text: str) -> CmpKey:
    return CmpKey(split(text), evr_compare)
