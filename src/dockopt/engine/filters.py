"""Selection filters with Docker's semantics: `until` times, `label`/`label!` filters, repository patterns.

`until` accepts what the engine accepts (moby's timetypes.GetTimestamp): a Go duration before now
("10m", "1h30m", "1.5h"), an RFC 3339 date or date-time (with or without zone; without one it is
local time), or a Unix timestamp with optional fraction ("1700000000", "1700000000.5").

Labels follow the engine's prune code (matchLabels), verified against the engine in the tests:
  * filters of different keys (`until`, `label`, `label!`) must all hold (AND);
  * every `label=K` / `label=K=V` must hold (the engine ANDs label values);
  * the `label!=` values exclude an object only when all of them match it, so two `label!=`
    filters keep objects lacking either one (the engine's rule, see moby#40286).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from dockopt.errors import UsageError

_NS = 1_000_000_000
_GO_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": _NS,
             "m": 60 * _NS, "h": 3600 * _NS}
_GO_DURATION = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> int | None:
    """Nanoseconds of a Go duration string (time.ParseDuration), or None if it is not one."""
    s = text
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total = 0
    pos = 0
    while pos < len(s):
        m = _GO_DURATION.match(s, pos)
        if not m or m.group(1) in ("", "."):
            return None
        number, unit = m.group(1), m.group(2)
        whole, _, frac = number.partition(".")
        scale = _GO_UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // (10 ** len(frac))
        pos = m.end()
    return sign * total


_DATE_FORMATS_LOCAL = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H", "%Y-%m-%d")


def parse_until(value: str, now_ns: int | None = None) -> int:
    """The instant (Unix nanoseconds) an `until` value names. UsageError when it names none."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    text = value.strip()
    if text != "0":
        duration = parse_go_duration(text)
        if duration is not None:
            return now_ns - duration
    if "-" in text:
        instant = _parse_datetime(text)
        if instant is None:
            raise UsageError(f"cannot parse until value {value!r}: not a duration, RFC 3339 date/time or Unix timestamp")
        return instant
    m = re.fullmatch(r"(\d+)(?:\.(\d{1,9}))?", text)
    if not m:
        raise UsageError(f"cannot parse until value {value!r}: not a duration, RFC 3339 date/time or Unix timestamp")
    return int(m.group(1)) * _NS + int((m.group(2) or "0").ljust(9, "0"))


def _parse_datetime(text: str) -> int | None:
    """RFC 3339 date or date-time, fractional seconds to the nanosecond; local time without a zone."""
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?(?:\.(\d{1,9}))?)?"
                     r"(Z|z|[+-]\d{2}:\d{2})?", text)
    if not m:
        return None
    date, hour, minute, second, frac, zone = m.groups()
    try:
        naive = datetime.strptime(f"{date}T{hour or '00'}:{minute or '00'}:{second or '00'}", "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return None
    if zone is None:
        aware = naive.astimezone()  # local time, as the engine reads zone-less values
    elif zone in ("Z", "z"):
        aware = naive.replace(tzinfo=timezone.utc)
    else:
        aware = datetime.fromisoformat(naive.isoformat() + zone)
    return int(aware.timestamp()) * _NS + int((frac or "0").ljust(9, "0"))


def parse_engine_time(text: str | int | None) -> int:
    """Unix nanoseconds of an engine timestamp: RFC 3339 with nanoseconds, or Unix seconds."""
    if text is None or text == "":
        return 0
    if isinstance(text, (int, float)):
        return int(text) * _NS
    instant = _parse_datetime(text.strip())
    if instant is None:
        return 0
    return instant


@dataclass(frozen=True)
class LabelFilter:
    """`label=` and `label!=` filters as the engine applies them when pruning."""

    required: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        if self.required and not all(_kv_match(item, labels) for item in self.required):
            return False
        if self.excluded and all(_kv_match(item, labels) for item in self.excluded):
            return False
        return True

    def describe(self) -> str:
        parts = [f"label={x}" for x in self.required] + [f"label!={x}" for x in self.excluded]
        return " ".join(parts)

    def __bool__(self) -> bool:
        return bool(self.required or self.excluded)


def _kv_match(item: str, labels: dict[str, str]) -> bool:
    key, sep, value = item.partition("=")
    if key not in labels:
        return False
    return not sep or labels[key] == value


@dataclass
class Filters:
    """What `--filter` and `--until` said, parsed."""

    until_ns: int | None = None
    labels: LabelFilter = field(default_factory=LabelFilter)


def parse_filters(values: list[str] | tuple[str, ...], until: str | None, now_ns: int | None = None) -> Filters:
    required: list[str] = []
    excluded: list[str] = []
    untils: list[str] = [until] if until else []
    for raw in values:
        if raw.startswith("label!="):
            key, value = "label!", raw[len("label!="):]
        else:
            key, sep, value = raw.partition("=")
            if not sep:
                raise UsageError(f"bad filter {raw!r}: expected key=value (label=K, label=K=V, label!=K, until=WHEN)")
        if key == "label":
            required.append(_check_label(value, raw))
        elif key == "label!":
            excluded.append(_check_label(value, raw))
        elif key == "until":
            untils.append(value)
        else:
            raise UsageError(f"unsupported filter {key!r} in {raw!r}: use label=, label!= or until=")
    if len(set(untils)) > 1:
        raise UsageError("more than one until value given")
    until_ns = parse_until(untils[0], now_ns) if untils else None
    # Duplicates are one condition, as in the engine's filter set.
    return Filters(until_ns=until_ns, labels=LabelFilter(tuple(dict.fromkeys(required)), tuple(dict.fromkeys(excluded))))


def _check_label(value: str, raw: str) -> str:
    if not value or value.startswith("="):
        raise UsageError(f"bad filter {raw!r}: a label key is required")
    return value


class RepositoryPattern:
    """A repository glob: `*` and `?` stay within one path segment, `**` crosses `/`.

    A pattern with a tag part (`app:v1*`) is matched against `repository:tag`; otherwise against the
    repository alone (`registry:5000/team/*`: the colon before the first `/` is a port).
    """

    def __init__(self, text: str) -> None:
        if not text or text.strip() != text:
            raise UsageError(f"bad repository pattern {text!r}")
        self.text = text
        last = text.rsplit("/", 1)[-1]
        self.with_tag = ":" in last
        self._regex = re.compile(_glob_to_regex(text))

    def matches(self, repository: str, tag: str | None) -> bool:
        if self.with_tag:
            return tag is not None and bool(self._regex.fullmatch(f"{repository}:{tag}"))
        return bool(self._regex.fullmatch(repository))

    def __repr__(self) -> str:
        return f"RepositoryPattern({self.text!r})"


def _glob_to_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                raise UsageError(f"bad repository pattern {pattern!r}: unclosed [")
            body = pattern[i + 1:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def split_repo_tag(ref: str) -> tuple[str, str | None]:
    """`registry:5000/app:v1` -> (`registry:5000/app`, `v1`)."""
    name, _, digest = ref.partition("@")
    if digest:
        return name, None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1:]
    return name, None
