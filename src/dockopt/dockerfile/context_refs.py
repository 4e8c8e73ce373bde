"""Which context paths a Dockerfile can reach: COPY/ADD sources and `RUN --mount=type=bind`.

Paths outside every reference are sent to the builder for nothing. Reach is over-approximated
where the Dockerfile cannot be resolved statically (an unresolved `$VAR` in a source counts as
"the whole context"), so a path reported unreachable really is unreachable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockopt.dockerfile.gopath import clean_path, go_match


@dataclass
class ContextRefs:
    sources: list[str] = field(default_factory=list)
    """Cleaned context-relative sources (may hold Go filepath.Match wildcards)."""
    whole_context: bool = False
    """Something (`COPY .`, a bind mount of the context, an unresolved variable) reaches everything."""
    unresolved: list[str] = field(default_factory=list)
    """Sources that could not be resolved statically (counted as the whole context)."""

    def add(self, source: str, env: dict[str, str]) -> None:
        value = _expand(source, env)
        if value is None:
            self.unresolved.append(source)
            self.whole_context = True
            return
        cleaned = clean_path("/" + value).lstrip("/") or "."
        if cleaned == ".":
            self.whole_context = True
        elif cleaned not in self.sources:
            self.sources.append(cleaned)

    def reaches(self, path: str) -> bool:
        """Does some reference copy or mount `path` (or a directory above it)?"""
        if self.whole_context:
            return True
        parts: list[str] | None = None
        for source in self.sources:
            if not _has_wildcard(source):
                if path == source or path.startswith(source + "/"):
                    return True
                continue
            parts = parts or path.split("/")
            depth = source.count("/") + 1
            if len(parts) >= depth and _go_match(source, "/".join(parts[:depth])):
                return True
        return False

    def names(self, path: str) -> bool:
        """Does a reference other than the whole context name `path`, something in it, or above it?"""
        for source in self.sources:
            if _has_wildcard(source):
                if self.reaches_source(source, path):
                    return True
            elif path == source or source.startswith(path + "/") or path.startswith(source + "/"):
                return True
        return False

    @staticmethod
    def reaches_source(source: str, path: str) -> bool:
        parts = path.split("/")
        depth = source.count("/") + 1
        return len(parts) >= depth and _go_match(source, "/".join(parts[:depth]))


def context_references(dockerfile_text: str) -> ContextRefs:
    """Collect the context references of every stage (ONBUILD triggers run elsewhere)."""
    refs = ContextRefs()
    for keyword, flags, sources, env in _instructions(dockerfile_text):
        if keyword in ("COPY", "ADD"):
            if any(name == "from" for name, _ in flags):
                continue
            for source in sources:
                if keyword == "ADD" and _is_remote(source):
                    continue
                refs.add(source, env)
        elif keyword == "RUN":
            for name, value in flags:
                if name == "mount" and value is not None:
                    _add_bind_mount(refs, value, env)
    return refs


def _add_bind_mount(refs: ContextRefs, spec: str, env: dict[str, str]) -> None:
    fields: dict[str, str] = {}
    for item in spec.split(","):
        key, _, value = item.partition("=")
        fields[key.strip().lower()] = value.strip()
    if fields.get("type", "bind") != "bind" or "from" in fields:
        return
    refs.add(fields.get("source", fields.get("src", ".")) or ".", env)


def _is_remote(source: str) -> bool:
    lowered = source.lower()
    return lowered.startswith(("http://", "https://", "git://", "git@", "ssh://"))


_WILDCARD = re.compile(r"[*?\[\\]")


def _has_wildcard(source: str) -> bool:
    return _WILDCARD.search(source) is not None


def _go_match(pattern: str, name: str) -> bool:
    """COPY/ADD wildcards are Go filepath.Match patterns (a bad one matches nothing)."""
    matched, error = go_match(pattern, name)
    return matched and error is None


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


def _expand(source: str, env: dict[str, str]) -> str | None:
    """Expand `$VAR`/`${VAR}` from ARG/ENV defaults; None when a variable has no known value."""
    if "$" not in source:
        return source
    missing = False

    def sub(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1) or match.group(2)
        if name not in env:
            missing = True
            return ""
        return env[name]

    value = _VAR.sub(sub, source)
    return None if missing or "$" in value else value


Instr = tuple[str, list[tuple[str, str | None]], list[str], dict[str, str]]


def _instructions(text: str) -> list[Instr]:
    """(keyword, flags, COPY/ADD sources, ARG/ENV values in scope) for each instruction."""
    from dockopt.dockerfile.parser import parse

    return _parsed_instructions(parse(text))


def _parsed_instructions(dockerfile) -> list[Instr]:  # type: ignore[no-untyped-def]
    out: list[Instr] = []
    env: dict[str, str] = {}
    stage = -2
    for ins in dockerfile.instructions:
        if ins.keyword == "FROM" or ins.stage_index != stage:
            stage = ins.stage_index
            env = {}
        flags = [(f.name, f.value) for f in ins.flags]
        if ins.keyword in ("ARG", "ENV"):
            _record_vars(ins.keyword, ins.values, env)
        sources = ins.copy_sources() if ins.keyword in ("COPY", "ADD") else []
        out.append((ins.keyword, flags, sources, dict(env)))
    return out


def _record_vars(keyword: str, values: list[str], env: dict[str, str]) -> None:
    if keyword == "ARG":
        for item in values:
            name, sep, default = item.partition("=")
            if sep:
                env[name] = default.strip("\"'")
        return
    # ENV: the parser gives name, value pairs
    for name, value in zip(values[::2], values[1::2]):
        env[name] = value.strip("\"'")
