"""What counts as a secret: token formats, private-key structure, credential files, secret-ish keys.

Every rule says why it matched (`why`), so a user can judge a finding; values are only ever
handed out redacted. Rules prefer structure over names: a `.pem` file is a secret only when it
holds a private key whose body decodes, never because of its name.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
import re
from dataclasses import dataclass

from dockopt.errors import InputError
from dockopt.findings import Severity
from dockopt.safeload import load_json
from dockopt.secretpatterns import PLACEHOLDER, TOKEN_MARKERS, find_tokens, redact


@dataclass(frozen=True)
class SecretMatch:
    rule_id: str
    severity: Severity
    why: str
    """Which pattern or key matched, in words."""
    value: str
    """The secret itself: never shown; only `redact(value)` leaves this module's callers."""
    line: int | None = None
    shown: str | None = None
    """What to show instead of the redacted value (a key's fingerprint rather than its first bytes)."""

    @property
    def redacted(self) -> str:
        return self.shown or redact(self.value)


SECRET_KEY_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth)")
NOT_A_SECRET_KEY = re.compile(r"(?i)(_FILE|_PATH|_DIR|_URL|_HOST|_USER|_USERNAME|_NAME|_PORT|_TYPE|_METHOD|_ENABLED|_LENGTH)$")


def secret_looking_key(key: str) -> bool:
    return bool(SECRET_KEY_NAME.search(key)) and not NOT_A_SECRET_KEY.search(key)


def plausible_value(value: str) -> bool:
    """A value that could be a real secret: not empty, a path, a boolean or a placeholder."""
    v = value.strip().strip("\"'")
    if len(v) < 4 or v.startswith("/") or v.lower() in ("true", "false", "yes", "no", "none", "null"):
        return False
    return not PLACEHOLDER.search(v)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def might_hold_token(data: bytes) -> bool:
    return any(marker in data for marker in TOKEN_MARKERS)


_TEXT_MARKERS = re.compile("|".join(re.escape(m.decode()) for m in TOKEN_MARKERS if b"cret" not in m.lower())
                           + "|(?i:secret)")
"""`TOKEN_MARKERS` for text, in one search: the token rules' literals, and a word of the
(case-blind) AWS secret rule. An image config can hold 600,000 values; most need no rule."""


def scan_tokens(text: str) -> list[SecretMatch]:
    """Well-known token formats anywhere in a text (file content, ENV value, history line)."""
    if not _TEXT_MARKERS.search(text):
        return []
    return [SecretMatch(hit.rule_id, hit.severity, hit.why, hit.value, line_of(text, hit.start))
            for hit in find_tokens(text)]


PEM_KEY = re.compile(
    r"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----\r?\n(.*?)-----END \1-----", re.S)


def _pem_body(body: str) -> bytes | None:
    """Decode a PEM body strictly (legacy `Proc-Type:`/`DEK-Info:` headers allowed)."""
    lines = [ln.strip() for ln in body.strip().splitlines()]
    lines = [ln for ln in lines if ln and ":" not in ln]
    try:
        return base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError):
        return None


def scan_private_keys(text: str) -> list[SecretMatch]:
    """Private keys validated by structure: a PEM block whose body decodes to a plausible key."""
    out = []
    for m in PEM_KEY.finditer(text):
        kind, decoded = m.group(1), _pem_body(m.group(2))
        if decoded is None or len(decoded) < 64:
            continue  # a README that shows the header, or a truncated key: not a key
        if kind == "OPENSSH PRIVATE KEY" and not decoded.startswith(b"openssh-key-v1\0"):
            continue
        if kind != "OPENSSH PRIVATE KEY" and decoded[:1] != b"\x30":  # DER: a SEQUENCE
            continue
        why = f"PEM block '{kind}' whose body decodes ({len(decoded)} bytes"
        why += ", openssh-key-v1 magic)" if kind == "OPENSSH PRIVATE KEY" else ", DER sequence)"
        fingerprint = "sha256:" + hashlib.sha256(decoded).hexdigest()[:16]
        out.append(SecretMatch("secrets.private-key", Severity.CRITICAL, why, m.group(2).strip(), line_of(text, m.start()),
                               shown=f"[{kind.lower()}, fingerprint {fingerprint}]"))
    return out


def scan_credential_file(path: str, text: str) -> list[SecretMatch]:
    """Known credential files, recognised by name *and* by holding a credential."""
    name = posixpath.basename(path)
    out: list[SecretMatch] = []

    def add(rule: str, why: str, value: str, offset: int, severity: Severity = Severity.HIGH) -> None:
        if plausible_value(value):
            out.append(SecretMatch(rule, severity, why, value.strip().strip("\"'"), line_of(text, offset)))

    if name == ".npmrc":
        for m in re.finditer(r"(?m)^\s*(\S*?:?_(?:authToken|auth|password))\s*=\s*(\S+)", text):
            add("secrets.npmrc", f".npmrc key {m.group(1).split(':')[-1]}", m.group(2), m.start())
    elif name == ".pypirc":
        for m in re.finditer(r"(?m)^\s*password\s*[=:]\s*(\S+)", text):
            add("secrets.pypirc", ".pypirc password", m.group(1), m.start())
    elif name in (".netrc", "_netrc"):
        for m in re.finditer(r"\bpassword\s+(\S+)", text):
            add("secrets.netrc", ".netrc password", m.group(1), m.start())
    elif name == "config.json" and path.endswith("/.docker/config.json"):
        try:
            auths = (load_json(text, path) or {}).get("auths") or {}
        except (InputError, AttributeError):
            auths = {}
        for registry, entry in auths.items() if isinstance(auths, dict) else ():
            value = (entry or {}).get("auth") or (entry or {}).get("identitytoken") if isinstance(entry, dict) else None
            if value:
                add("secrets.docker-config", f".docker/config.json auths entry for {registry}", str(value),
                    max(text.find(registry), 0))
    elif name == "config" and path.endswith("/.git/config"):
        for m in re.finditer(r"(?m)^\s*url\s*=\s*\w+://([^/\s:@]+):([^@\s/]+)@", text):
            add("secrets.git-credentials", f".git/config remote URL with a password for user {m.group(1)}",
                m.group(2), m.start())
    elif name == ".git-credentials":
        for m in re.finditer(r"(?m)^\w+://([^:\s]+):([^@\s]+)@", text):
            add("secrets.git-credentials", ".git-credentials entry", m.group(2), m.start())
    elif name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        if name.endswith((".example", ".sample", ".template", ".dist")):
            return out
        for m in re.finditer(r"(?m)^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", text):
            if secret_looking_key(m.group(1)):
                add("secrets.env-file", f"{name} key {m.group(1)} looks secret", m.group(2), m.start())
    return out


def scan_key_values(pairs: list[tuple[str, str]], rule_id: str, what: str) -> list[tuple[str, SecretMatch]]:
    """ENV / ARG / LABEL pairs: tokens in any value, plausible values of secret-looking keys."""
    out = []
    for key, value in pairs:
        tokens = scan_tokens(value)
        for t in tokens:
            out.append((key, SecretMatch(t.rule_id, t.severity, f"{what} {key}: {t.why}", t.value)))
        if not tokens and secret_looking_key(key) and plausible_value(value):
            out.append((key, SecretMatch(rule_id, Severity.HIGH,
                                         f"{what} {key} has a secret-looking name and a value", value.strip())))
    return out


def is_text(data: bytes) -> bool:
    return b"\0" not in data[:8192]
