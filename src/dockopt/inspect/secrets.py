"""Secrets in every layer (also versions deleted or replaced later: they still ship) and in the
image config (ENV, build ARGs recorded in history, labels).

File content is read during the one pass, bounded (text files up to `MAX_FILE` bytes). A file
created and deleted inside one RUN never reaches a layer, so it is (rightly) never seen.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

from dockopt.errors import UsageError
from dockopt.findings import Category, Finding, Location
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.scan import LayerRef, ScanResult
from dockopt.inspect.checks import ImageCheck, first_index, layer_digest, layer_label
from dockopt.inspect.secret_rules import (
    SecretMatch,
    is_text,
    might_hold_token,
    redact,
    scan_credential_file,
    scan_key_values,
    scan_private_keys,
    scan_tokens,
)

MAX_FILE = 1 << 20
"""Largest file whose content is searched (keys, tokens and credential files are small)."""

SKIP_SUFFIXES = (".so", ".a", ".o", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".gz", ".xz", ".bz2", ".zst", ".zip",
                 ".jar", ".whl", ".deb", ".mo", ".pyc", ".woff", ".woff2", ".ttf", ".svg")
SKIP_TREES = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/", "/usr/share/locale/", "/usr/share/i18n/",
              "/usr/share/zoneinfo/", "/proc/", "/sys/")
CREDENTIAL_NAMES = {".npmrc", ".pypirc", ".netrc", "_netrc", "config.json", "config", ".git-credentials"}
"""Names `scan_credential_file` knows (plus anything with `.env` in it)."""
HISTORY_ARGS = re.compile(r"^(?:RUN\s+)?\|(\d+)\s+(.*)$", re.S)
ARG_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s*")


@dataclass(frozen=True)
class AllowRule:
    """Silences findings: every given part must match (path glob, rule id, regex on the raw value)."""

    path: str | None = None
    rule: str | None = None
    value: re.Pattern[str] | None = None

    @classmethod
    def parse(cls, item: Any) -> "AllowRule":
        try:
            if isinstance(item, str):
                if item.startswith("/"):
                    return cls(path=item)
                if re.fullmatch(r"secrets\.[a-z0-9\-]+", item):
                    return cls(rule=item)
                return cls(value=re.compile(item))
            if isinstance(item, dict) and item and set(item) <= {"path", "rule", "value"}:
                return cls(item.get("path"), item.get("rule"), re.compile(item["value"]) if item.get("value") else None)
        except re.error as exc:
            raise UsageError(f"analyze.secrets.allow: invalid pattern {item!r}: {exc}") from None
        raise UsageError(f"analyze.secrets.allow: expected a path (/…), a rule id (secrets.…), a pattern, "
                         f"or a mapping with path/rule/value, got {item!r}")

    def matches(self, rule_id: str, path: str | None, value: str) -> bool:
        if self.path is not None and not (path and fnmatch.fnmatchcase(path, self.path)):
            return False
        if self.rule is not None and rule_id != self.rule:
            return False
        return self.value is None or bool(self.value.search(value))


@dataclass
class _FileHit:
    ref: LayerRef
    path: str
    match: SecretMatch


@dataclass
class SecretsCheck(ImageCheck):
    allow: list[AllowRule] = field(default_factory=list)
    hits: list[_FileHit] = field(default_factory=list)
    files_read: int = 0

    family = "secrets"
    name = "secrets"

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> "SecretsCheck":
        items = settings.get("allow") or []
        if not isinstance(items, list):
            raise UsageError("analyze.secrets.allow must be a list")
        return cls(allow=[AllowRule.parse(i) for i in items])

    def entry(self, layer: LayerRef, entry: FileEntry) -> int:
        if entry.type is not EntryType.FILE or not 0 < entry.size <= MAX_FILE:
            return 0
        if entry.path.endswith(SKIP_SUFFIXES) or entry.path.startswith(SKIP_TREES):
            return 0
        return entry.size

    def content(self, layer: LayerRef, entry: FileEntry, data: bytes) -> None:
        if not is_text(data):
            return
        self.files_read += 1
        name = entry.path.rsplit("/", 1)[-1]
        credential = name in CREDENTIAL_NAMES or ".env" in name
        key = b"PRIVATE KEY-----" in data
        token = might_hold_token(data)
        if not (credential or key or token):
            return
        text = data.decode("utf-8", errors="replace")
        matches = scan_credential_file(entry.path, text) if credential else []
        if key:
            matches += scan_private_keys(text)
        if token:
            matches += scan_tokens(text)
        for m in matches:
            self.hits.append(_FileHit(layer, entry.path, m))

    def _allowed(self, rule_id: str, path: str | None, value: str) -> bool:
        return any(a.matches(rule_id, path, value) for a in self.allow)

    def findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        out: list[Finding] = []
        seen: set[tuple[str, str, int, str]] = set()
        hidden = {(h.path, h.added_in): h for h in result.fs.hidden}
        for hit in self.hits:
            index, m = first_index(hit.ref), hit.match
            key = (m.rule_id, hit.path, index, m.value)
            if key in seen or self._allowed(m.rule_id, hit.path, m.value):
                continue
            seen.add(key)
            node = result.fs.get(hit.path)
            gone = hidden.get((hit.path, index))
            where = f"{hit.path}{':' + str(m.line) if m.line else ''}, added in {layer_label(result, index, base_layers)}"
            details: dict[str, Any] = {"why": m.why, "redacted": m.redacted, "line": m.line,
                                       "in_final_filesystem": bool(node and node.layer == index),
                                       "from_base": index < base_layers}
            if gone is not None and not details["in_final_filesystem"]:
                verb = "deleted" if gone.how == "deleted" else "replaced"
                where += f"; {verb} in {layer_label(result, gone.hidden_in, base_layers)} but still shipped in layer {index}"
                details["hidden_in"] = gone.hidden_in
            out.append(Finding(
                rule_id=m.rule_id, severity=m.severity, category=Category.SECURITY, title="secret in the image",
                message=f"{m.why}: {m.redacted} in {where}",
                location=Location(layer_index=index, layer_digest=layer_digest(result, index), path=hit.path),
                details=details))
        out.extend(self._config_findings(result, base_layers))
        return out

    def _config_findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        config = result.image.config
        out: list[Finding] = []
        in_config: set[str] = set()
        env = [tuple(item.split("=", 1)) for item in config.env if "=" in item]
        for source, pairs, rule in (("config.Env", env, "secrets.env"),
                                    ("config.Labels", list(config.labels.items()), "secrets.label")):
            what = "ENV" if source == "config.Env" else "LABEL"
            for key, m in scan_key_values([(str(k), str(v)) for k, v in pairs], rule, what):
                in_config.add(m.value)
                if not self._allowed(m.rule_id, None, m.value):
                    out.append(self._config_finding(m, f"{key}={redact(m.value)} in the image config",
                                                    {"source": source, "key": key}))
        layer_of = {scan.layer.history_index: scan.layer.index for scan in result.layers}
        # Build args first (they name the key), then tokens anywhere else in an instruction.
        candidates = [(i, key, m) for i, h in enumerate(config.history)
                      for key, m in scan_key_values(_history_args(h.created_by), "secrets.build-arg", "build ARG")]
        # ENV values a later ENV overrode are gone from the config but not from the history.
        candidates += [(i, key, m) for i, h in enumerate(config.history)
                       for key, m in scan_key_values(_history_env(h.created_by), "secrets.env", "ENV")]
        candidates += [(i, "", t) for i, h in enumerate(config.history) for t in scan_tokens(h.created_by)]
        candidates = [c for c in candidates if c[2].value not in in_config]
        # The classic builder records every ARG in scope on every later RUN: one finding per value,
        # located at the first layer, listing every layer whose history carries it.
        grouped: dict[tuple[str, str], list[tuple[int, str, SecretMatch]]] = {}
        for i, key, m in candidates:
            if not self._allowed(m.rule_id, None, m.value):
                grouped.setdefault((m.rule_id, m.value), []).append((i, key, m))
        for items in grouped.values():
            i, key, m = items[0]
            entries = sorted({j for j, _, _ in items})
            layers = sorted({layer_of[j] for j in entries if j in layer_of})
            index = layers[0] if layers else None
            where = (f"image history (entr{'y' if len(entries) == 1 else 'ies'} {', '.join(map(str, entries))}"
                     f"{'; first in ' + layer_label(result, index, base_layers) if index is not None else ''})")
            if not key:
                text = f"{redact(m.value)} in an instruction recorded in {where}; use a secret mount " \
                       "(RUN --mount=type=secret) instead"
            elif m.rule_id == "secrets.env" or m.why.startswith("ENV"):
                text = f"ENV {key}={redact(m.value)} was overridden later but stays in {where}; " \
                       "pass secrets at run time, not in ENV"
            else:
                text = f"build ARG {key}={redact(m.value)} recorded in {where}; use a secret mount " \
                       "(RUN --mount=type=secret) instead"
            out.append(self._config_finding(
                m, text,
                {"source": "config.history", "history_indices": entries, "layers": layers, "key": key or None},
                index, result))
        return out

    @staticmethod
    def _config_finding(m: SecretMatch, what: str, details: dict[str, Any], index: int | None = None,
                        result: ScanResult | None = None) -> Finding:
        location = Location(layer_index=index, layer_digest=layer_digest(result, index) if result and index is not None else None)
        return Finding(rule_id=m.rule_id, severity=m.severity, category=Category.SECURITY, title="secret in the image",
                       message=f"{m.why}: {what}", location=location,
                       details={**details, "why": m.why, "redacted": redact(m.value)})


def _history_env(created_by: str) -> list[tuple[str, str]]:
    """`ENV A=1 B="x y"` (or the legacy `ENV A 1`) as recorded in history."""
    text = created_by.strip()
    for prefix in ("/bin/sh -c #(nop) ", "#(nop) "):
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    if not text.startswith("ENV "):
        return []
    body = text[4:].strip()
    if body.endswith("# buildkit"):
        body = body[: -len("# buildkit")].strip()
    pairs = re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)', body)
    if not pairs and " " in body:
        key, value = body.split(None, 1)
        return [(key, value)]
    return [(k, v.strip('"')) for k, v in pairs]


def _history_args(created_by: str) -> list[tuple[str, str]]:
    """Build args the classic builder and BuildKit record: `|2 A=1 B=2 /bin/sh -c …`."""
    m = HISTORY_ARGS.match(created_by.strip())
    if not m:
        return []
    count, rest, out = int(m.group(1)), m.group(2), []
    pos = 0
    for _ in range(count):
        pair = ARG_PAIR.match(rest, pos)
        if not pair:
            break
        out.append((pair.group(1), pair.group(2)))
        pos = pair.end()
    return out

