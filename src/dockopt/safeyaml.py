"""Untrusted YAML to plain data, straight from parser events, with depth and alias caps.

PyYAML's own loaders compose a node graph first (recursively, and with two marks per node:
about 600 MB for a 100,000-rule ignore file) and expand aliases without bound. Here the
parser's events (libyaml's when present; both parsers are state machines, so nesting costs no
recursion) are turned into Python values with an explicit stack: depth is the stack height,
and every value carries the number of nodes it stands for, so an alias that would expand a
document past the cap is refused before anything is copied. Scalars are resolved and
constructed by PyYAML's safe resolver and constructors, so `1`, `true`, `~` and `2027-01-31`
mean what they mean in `yaml.safe_load`. Aliases share the anchored value, as safe_load does.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import ScalarNode

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}


class YamlRefused(Exception):
    """The document breaks a cap or uses something outside plain data (`line` is 1-based)."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message if line is None else f"{message} at line {line}")


class _Frame:
    __slots__ = ("value", "is_map", "key", "has_key", "size", "anchor", "line")

    def __init__(self, value: Any, is_map: bool, anchor: str | None, line: int):
        self.value = value
        self.is_map = is_map
        self.key: Any = None
        self.has_key = False
        self.size = 1
        self.anchor = anchor
        self.line = line


def load(text: str | bytes, max_depth: int, max_nodes: int) -> Any:
    """The single document in `text` as dicts, lists and scalars. Raises YamlRefused or YAMLError."""
    loader = _Loader(text)
    try:
        return _build(loader, max_depth, max_nodes)
    finally:
        loader.dispose()


def _build(loader: Any, max_depth: int, max_nodes: int) -> Any:
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Frame] = []
    result: Any = None
    total = 0
    constructors = loader.yaml_constructors
    while True:
        event = loader.get_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, (ev.StreamStartEvent, ev.DocumentStartEvent)):
            if isinstance(event, ev.DocumentStartEvent) and result is not None:
                raise YamlRefused("expected a single document", line)
            continue
        if isinstance(event, ev.DocumentEndEvent):
            continue
        if isinstance(event, ev.StreamEndEvent):
            return result
        if isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
            frame = stack.pop()
            value, size = frame.value, frame.size
            if frame.anchor is not None:
                anchors[frame.anchor] = (value, size)
        elif isinstance(event, ev.AliasEvent):
            if event.anchor not in anchors:
                raise YamlRefused(f"alias *{event.anchor} refers to no finished anchor", line)
            value, size = anchors[event.anchor]
        elif isinstance(event, ev.ScalarEvent):
            value, size = _scalar(loader, constructors, event, line), 1
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
        elif isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
            is_map = isinstance(event, ev.MappingStartEvent)
            tag = event.tag
            if tag not in (None, "!", _MAP if is_map else _SEQ):
                raise YamlRefused(f"unsupported tag {tag}", line)
            if len(stack) >= max_depth:
                raise YamlRefused(f"nested deeper than {max_depth} levels", line)
            stack.append(_Frame({} if is_map else [], is_map, event.anchor, line or 0))
            total += 1
            continue
        else:  # pragma: no cover - PyYAML has no other event types
            raise YamlRefused(f"unexpected {type(event).__name__}", line)

        if not isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
            total += size  # a closed container was counted as it opened and through its items
        if total > max_nodes:
            raise YamlRefused(f"aliases expand to more than {max_nodes} nodes", line)
        if not stack:
            result = value
            continue
        parent = stack[-1]
        parent.size += size
        if parent.size > max_nodes:
            raise YamlRefused(f"aliases expand to more than {max_nodes} nodes", line)
        if not parent.is_map:
            parent.value.append(value)
        elif not parent.has_key:
            if isinstance(value, (dict, list)):
                raise YamlRefused("a mapping key must be a scalar", line)
            parent.key, parent.has_key = value, True
        else:
            _put(parent, value, line)


def _put(parent: _Frame, value: Any, line: int | None) -> None:
    key = parent.key
    parent.has_key = False
    if key is _MergeKey:  # `<<: *base` or `<<: [*a, *b]`: keys already present win
        sources = value if isinstance(value, list) else [value]
        for source in reversed(sources):
            if not isinstance(source, dict):
                raise YamlRefused("a merge key `<<` needs a mapping or a list of mappings", line)
            for k, v in source.items():
                parent.value.setdefault(k, v)
        return
    try:
        parent.value[key] = value
    except TypeError:
        raise YamlRefused(f"unusable mapping key {key!r}", line) from None


class _MergeKey:
    """Stands for a plain `<<` key until its value arrives."""


def _scalar(loader: Any, constructors: dict, event: Any, line: int | None) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(ScalarNode, event.value, event.implicit)
    if tag == _STR:
        return event.value
    if tag == _MERGE:
        return _MergeKey
    if tag not in _SCALAR_TAGS:
        raise YamlRefused(f"unsupported tag {tag}", line)
    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return constructors[tag](loader, node)
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, OverflowError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise YamlRefused(f"invalid value {event.value!r}: {text}", line) from None

