"""The one set of secret token formats, and the one redaction, for lint (DO202) and the image
checks (`secrets.*`). It lives below both `dockerfile/` and `inspect/` so that each imports it
downwards and they cannot disagree on what a token is or how it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockopt.findings import Severity


def redact(value: str) -> str:
    """First and last characters only (and not even those for short values)."""
    value = value.strip()
    if len(value) < 8:
        return "*" * len(value)
    keep = 2 if len(value) < 24 else 4
    return f"{value[:keep]}…{value[-keep:]} ({len(value)} chars)"


@dataclass(frozen=True)
class TokenRule:
    rule_id: str
    pattern: re.Pattern[str]
    """Group 1 is the token."""
    why: str
    markers: tuple[bytes, ...]
    """Literals every match contains: a text without any of them cannot match."""
    severity: Severity = Severity.HIGH


TOKEN_RULES = (
    TokenRule("secrets.aws-access-key-id", re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"),
              "AWS access key id (AKIA/ASIA + 16 characters)", (b"AKIA", b"ASIA")),
    TokenRule("secrets.github-token", re.compile(r"\b((?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36})\b"),
              "GitHub token (gh?_ + 36 characters)", (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_")),
    TokenRule("secrets.github-token", re.compile(r"\b(github_pat_[0-9A-Za-z_]{80,})"),
              "GitHub fine-grained token (github_pat_)", (b"github_pat_",)),
    TokenRule("secrets.gitlab-token", re.compile(r"\b(glpat-[0-9A-Za-z_\-]{20,})"),
              "GitLab personal access token (glpat-)", (b"glpat-",)),
    TokenRule("secrets.slack-token", re.compile(r"\b(xox[abposr]-[0-9A-Za-z\-]{10,})"), "Slack token (xox?-)", (b"xox",)),
    TokenRule("secrets.stripe-key", re.compile(r"\b((?:sk|rk)_live_[0-9A-Za-z]{20,})"),
              "Stripe live secret key (sk_live_)", (b"_live_",)),
    TokenRule("secrets.google-api-key", re.compile(r"\b(AIza[0-9A-Za-z_\-]{35})"),
              "Google API key (AIza + 35 characters)", (b"AIza",)),
    TokenRule("secrets.npm-token", re.compile(r"\b(npm_[0-9A-Za-z]{36})\b"), "npm access token (npm_ + 36 characters)",
              (b"npm_",)),
)

AWS_SECRET = re.compile(r"(?i)aws_?secret_?access_?key\W{0,4}[=:]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])")
AWS_SECRET_MARKERS = (b"ecret_access", b"ECRET_ACCESS", b"ecretaccess", b"ecretAccess", b"ECRETACCESS")

# Documentation examples are not secrets (AWS's own AKIAIOSFODNN7EXAMPLE and friends).
PLACEHOLDER = re.compile(r"(?i)example|x{8,}|dummy|placeholder|your[_-]?(token|key|secret)|<[^>]*>|\$\{|\{\{")

TOKEN_MARKERS = tuple(m for rule in TOKEN_RULES for m in rule.markers) + AWS_SECRET_MARKERS


@dataclass(frozen=True)
class TokenHit:
    rule_id: str
    severity: Severity
    why: str
    value: str
    start: int
    """Offset of the token in the text."""


def find_tokens(text: str) -> list[TokenHit]:
    """Well-known token formats anywhere in a text, placeholders left out. An AWS key id with a
    secret access key beside it is critical, and so is the secret key itself."""
    out: list[TokenHit] = []
    for rule in TOKEN_RULES:
        for m in rule.pattern.finditer(text):
            value = m.group(1)
            if PLACEHOLDER.search(value):
                continue
            severity, why = rule.severity, rule.why
            if rule.rule_id == "secrets.aws-access-key-id" and AWS_SECRET.search(text):
                severity, why = Severity.CRITICAL, why + " with an AWS secret access key next to it"
            out.append(TokenHit(rule.rule_id, severity, why, value, m.start(1)))
    for m in AWS_SECRET.finditer(text):
        if not PLACEHOLDER.search(m.group(1)):
            out.append(TokenHit("secrets.aws-secret-key", Severity.CRITICAL,
                                "AWS secret access key (aws_secret_access_key = 40 characters)", m.group(1),
                                m.start(1)))
    return out
