"""Maven versions, with the semantics of Maven's `ComparableVersion` (Maven 3.x).

A version is parsed into nested lists of items: numbers, qualifiers and sub-lists (opened by `-`
and by a switch between digits and letters). Qualifiers have a fixed order
alpha < beta < milestone < rc (= cr) < snapshot < "" (= ga = final = release) < sp, and unknown
qualifiers sort after all of them, alphabetically. Trailing zeros and empty qualifiers are dropped
from each list (so `1.0` = `1` = `1.0.0-ga`). Comparison pads the shorter list with "nothing",
and "nothing" compares as a release: 1-alpha < 1 < 1-sp < 1.0.1.
"""

from __future__ import annotations

from dockopt.vuln.versions import CmpKey, InvalidVersion, bounded

QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE_RANK = str(QUALIFIERS.index(""))
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

# Items: int (a number), str (a qualifier's comparable rank), list (a sub-list).
_INT, _STR, _LIST = 0, 1, 2


def _qualifier_rank(name: str) -> str:
    # Ranks compare as strings, as in Maven: "0".."6" for known ones, "7-name" for the rest.
    if name in QUALIFIERS:
        return str(QUALIFIERS.index(name))
    return f"{len(QUALIFIERS)}-{name}"


class _Qualifier(str):
    """A qualifier item: the string is its comparable rank."""


def _string_item(text: str, followed_by_digit: bool) -> _Qualifier:
    if followed_by_digit and len(text) == 1:
        text = _SHORT.get(text, text)
    return _Qualifier(_qualifier_rank(ALIASES.get(text, text)))


def _is_null(item) -> bool:
    if isinstance(item, _Qualifier):
        return item == _RELEASE_RANK
    if isinstance(item, int):
        return item == 0
    return len(item) == 0


def _normalize(items: list) -> None:
    index = len(items) - 1
    while index >= 0:
        last = items[index]
        if _is_null(last):
            del items[index]
        elif not isinstance(last, list):
            break
        index -= 1


def parse(version: str) -> list:
    text = version.strip().lower()
    if not text:
        raise InvalidVersion("empty Maven version")
    root: list = []
    stack = [root]

    def add(value) -> None:
        stack[-1].append(value)

    def open_sublist() -> None:
        sub: list = []
        stack[-1].append(sub)
        stack.append(sub)

    def item(digit: bool, buf: str):
        return int(buf) if digit else _string_item(buf, False)

    is_digit = False
    start = 0
    for i, ch in enumerate(text):
        if ch == ".":
            add(0 if i == start else item(is_digit, text[start:i]))
            start = i + 1
        elif ch == "-":
            add(0 if i == start else item(is_digit, text[start:i]))
            start = i + 1
            open_sublist()
        elif ch.isdecimal():  # Java's Character.isDigit: decimal digits of any script
            if not is_digit and i > start:
                if stack[-1]:
                    # A qualifier after a dot counts as after a dash (1.0.0.CR1 = 1.0.0-CR1).
                    open_sublist()
                add(_string_item(text[start:i], True))
                start = i
                open_sublist()
            is_digit = True
        else:
            if is_digit and i > start:
                add(int(text[start:i]))
                start = i
                open_sublist()
            is_digit = False
    if len(text) > start:
        if not is_digit and stack[-1]:
            # A final qualifier after a dot counts as after a dash: 1.0.x = 1.0-x.
            open_sublist()
        add(item(is_digit, text[start:]))
    while stack:
        items = stack.pop()
        _normalize(items)
    return root


def _compare_item(a, b) -> int:
    """Compare item `a` with item `b`; `b` may be None (nothing there)."""
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1  # a number is newer than a qualifier or a sub-list
    if isinstance(a, _Qualifier):
        if b is None:
            return (a > _RELEASE_RANK) - (a < _RELEASE_RANK)
        if isinstance(b, _Qualifier):
            return (a > b) - (a < b)
        return -1  # a qualifier is older than a number or a sub-list
    # a is a list
    if b is None:
        for element in a:
            result = _compare_item(element, None)
            if result:
                return result
        return 0
    if isinstance(b, int):
        return -1
    if isinstance(b, _Qualifier):
        return 1
    for index in range(max(len(a), len(b))):
        left = a[index] if index < len(a) else None
        right = b[index] if index < len(b) else None
        if left is None:
            result = 0 if right is None else -_compare_item(right, None)
        else:
            result = _compare_item(left, right)
        if result:
            return result
    return 0


def compare(a: str, b: str) -> int:
    return _compare_item(parse(a), parse(b))


@bounded
def key(text: str) -> CmpKey:
    return CmpKey(parse(text), _compare_item)
