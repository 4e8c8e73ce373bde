"""Which `.dockerignore` patterns can match a path, without trying them all.

Each pattern has a key: the literal text every path it matches (or a directory above it)
must equal, start with or end with. A path's candidates are then found by dictionary lookups
on its own prefixes and suffixes, so evaluating a context costs the patterns plus the paths,
not their product. Candidates are a superset: each still runs its own match.
"""

from __future__ import annotations


def literal_start(text: str, syntax: str) -> str:
    """The text every match must start with: the pattern up to its first wildcard or syntax
    character (less the character a following `{`/`+` repeats; nothing when `|` appears)."""
    if "|" in syntax and "|" in text:
        return ""
    for i, ch in enumerate(text):
        if ch in "*?^" or ch in syntax:
            return text[:i - 1] if ch in "{+" and i else text[:i]
    return text


def literal_end(text: str, syntax: str) -> str:
    """The text every match must end with (the expression is anchored by `\\z`): the pattern
    after its last wildcard, class or syntax character (nothing when `|` appears, or when a
    dangling `\\` leaves the expression unanchored)."""
    if "|" in syntax and "|" in text:
        return ""
    trailing = len(text) - len(text.rstrip("\\"))
    if trailing % 2:
        return ""
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch == "\\":
            return text[i + 2:]  # the escaped character may be a class (`\\d`): not literal
        if ch in "*?^]" or ch in syntax:
            return text[i + 1:]
    return text


class PatternIndex:
    """Which patterns can possibly match a path, found by lookups in the path's own prefixes
    and suffixes instead of trying every pattern: evaluation stays linear in the number of
    patterns plus the paths, not their product. Candidates are a superset: each still runs."""

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        """`keys[i]` is pattern i's ('exact' | 'prefix' | 'suffix' | 'any', literal)."""
        self.exact: dict[str, list[int]] = {}
        self.prefix: dict[str, list[int]] = {}
        self.suffix: dict[str, list[int]] = {}
        self.always: list[int] = []
        for index, (kind, literal) in enumerate(keys):
            if kind == "any" or (kind == "prefix" and not literal):
                self.always.append(index)
            else:
                getattr(self, kind).setdefault(literal, []).append(index)
        self.prefix_lengths = sorted({len(k) for k in self.prefix})
        self.suffix_lengths = sorted({len(k) for k in self.suffix})

    def candidates(self, path: str, with_ancestors: bool) -> set[int]:
        found = set(self.always)
        for length in self.prefix_lengths:  # a directory's prefixes are the path's prefixes
            if length > len(path):
                break
            found.update(self.prefix.get(path[:length], ()))
        names = [path]
        if with_ancestors:
            parts = path.split("/")
            names += ["/".join(parts[:depth]) for depth in range(1, len(parts))]
        for name in names:
            found.update(self.exact.get(name, ()))
            if self.suffix:
                found.update(self.suffix.get("/" + name, ()))
                for length in self.suffix_lengths:
                    if length > len(name):
                        break
                    found.update(self.suffix.get(name[len(name) - length:], ()))
        return found
