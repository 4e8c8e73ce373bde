"""Ports of Go's `path/filepath` functions that Docker's file matching depends on."""

from __future__ import annotations


def clean_path(path: str) -> str:
    """Go's path/filepath.Clean for `/`-separated paths."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def go_match(pattern: str, name: str) -> tuple[bool, str | None]:
    """Go's `path/filepath.Match` (as in Go 1.19, `/` separator): (matched, syntax error or None).

    `*` and `?` never match `/`; `[...]` classes (negated with `^`) and `\\` escapes. Like Go, it
    stops at the first chunk that cannot match, so a syntax error after that point is not seen.
    """
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and chunk == "":
            return "/" not in name, None
        rest, ok, err = _match_chunk(chunk, name)
        if ok and (rest == "" or pattern):
            name = rest
            continue
        if err:
            return False, err
        if star:
            advanced = False
            for i in range(len(name)):
                if name[i] == "/":
                    break
                rest, ok, err = _match_chunk(chunk, name[i + 1:])
                if ok:
                    if not pattern and rest:
                        continue
                    name, advanced = rest, True
                    break
                if err:
                    return False, err
            if advanced:
                continue
        return False, None
    return name == "", None


def go_pattern_error(pattern: str) -> str | None:
    """Why Docker's syntax check, `filepath.Match(pattern, ".")`, rejects `pattern`, or None."""
    return go_match(pattern, ".")[1]


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern, star = pattern[1:], True
    in_range, i = False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif ch == "[":
            in_range = True
        elif ch == "]":
            in_range = False
        elif ch == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool, str | None]:
    failed = False  # after a mismatch the chunk is still checked for syntax
    while chunk:
        if not failed and not s:
            failed = True
        ch = chunk[0]
        if ch == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            if negated:
                chunk = chunk[1:]
            matched, ranges = False, 0
            while True:
                if chunk.startswith("]") and ranges > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk, err = _get_esc(chunk)
                if err:
                    return "", False, err
                hi = lo
                if chunk[0] == "-":
                    hi, chunk, err = _get_esc(chunk[1:])
                    if err:
                        return "", False, err
                if r and lo <= r <= hi:
                    matched = True
                ranges += 1
            if matched == negated:
                failed = True
        elif ch == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if ch == "\\":
                chunk = chunk[1:]
                if not chunk:
                    return "", False, "trailing backslash"
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    if failed:
        return "", False, None
    return s, True, None


def _get_esc(chunk: str) -> tuple[str, str, str | None]:
    if not chunk or chunk[0] in "-]":
        return "", chunk, "malformed character class"
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            return "", chunk, "malformed character class"
    r, rest = chunk[0], chunk[1:]
    if not rest:
        return r, rest, "unterminated character class"
    return r, rest, None
