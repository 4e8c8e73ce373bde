"""Making names displayable: file names from images are bytes, not always UTF-8.

Layer paths are decoded with `surrogateescape`, so an undecodable byte survives as a lone
surrogate (U+DC80-U+DCFF). Such a string cannot be encoded as UTF-8, so every renderer passes
its output through here: each undecodable byte becomes the four characters `\\xNN` (other lone
surrogates, which only malformed input documents can carry, become `\\uDXXX`). JSON gets the same
display form as a string value, so a report is valid UTF-8 JSON everywhere. The form is for
people and tools reading reports; it is not a way back to the original bytes.

This module sits below `report/` and the analyses, so any of them may use it.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def display_path(text: str) -> str:
    """`text` with every undecodable byte shown as `\\xNN`; unchanged when it is valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub(_escape, text)


def display_data(value: Any) -> Any:
    """A copy of JSON-able data (dicts, lists, tuples, scalars) whose strings, keys included,
    are displayable; iterative, so nesting depth is no concern."""
    if isinstance(value, str):
        return display_path(value)
    if not isinstance(value, (dict, list, tuple)):
        return value
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(value, root, 0)]
    while stack:
        item, parent, key = stack.pop()
        if isinstance(item, dict):
            copy: Any = {}
            for k, v in item.items():
                k = display_path(k) if isinstance(k, str) else k
                copy[k] = None
                stack.append((v, copy, k))
        elif isinstance(item, (list, tuple)):
            copy = [None] * len(item)
            for index, v in enumerate(item):
                stack.append((v, copy, index))
        else:
            copy = display_path(item) if isinstance(item, str) else item
        parent[key] = copy
    return root[0]
