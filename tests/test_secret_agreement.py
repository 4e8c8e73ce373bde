"""Lint (DO202) and the image checks (`secrets.*`) share one set of token formats and one
redaction: on the same values they flag the same ones and show them the same way."""

from __future__ import annotations

import pytest

from dockopt.dockerfile.lint import LintConfig, lint_text
from dockopt.inspect.secret_rules import scan_key_values

A36 = "aB3" * 12  # 36 characters
# Assembled here so that no file holds a token-shaped string.
FLAGGED = [
    "AKIA" + "Q7ZR3K5M2N8P4T6W",
    "ASIA" + "Q7ZR3K5M2N8P4T6W",  # temporary (STS) key id: lint used to miss it
    "AIza" + "Sy" + "D" * 11 + "k3m9Q2x7-Zp_4Lr8Vt6Wn1",  # Google API key: lint used to miss it
    "ghp_" + A36,
    "gho_" + A36,
    "github_pat_" + "11AB" + "c" * 78,
    "glpat-" + "Z" * 8 + "y" * 12,
    "xoxb-" + "1234567890-abc",
    "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "npm_" + A36,
    "prefix ghp_" + A36 + " suffix",
]
NOT_FLAGGED = [
    "ghp_" + "aB3" * 10,  # 30 characters: lint's old `{30,}` took it, a GitHub token has 36
    "ghp_" + A36 + "Q",  # 37: not a token boundary
    "AKIA" + "IOSFODNN7EXAMPLE",  # AWS's documentation example
    "AIza" + "short",
    "plain-value",
    "npm_" + "x" * 20,
]


def _lint_credential(value: str) -> str | None:
    findings = [f for f in lint_text(f"FROM scratch\nENV CONF=\"{value}\"\n", config=LintConfig(ignore=set()))
                if f.rule_id == "DO202"]
    assert len(findings) <= 1
    return findings[0].message if findings else None


def _image_credential(value: str) -> str | None:
    hits = scan_key_values([("CONF", value)], "secrets.env", "ENV")
    return hits[0][1].redacted if hits else None


@pytest.mark.parametrize("value", FLAGGED + NOT_FLAGGED)
def test_lint_and_image_checks_agree(value: str) -> None:
    lint, image = _lint_credential(value), _image_credential(value)
    assert (lint is not None) == (image is not None) == (value in FLAGGED), (lint, image)
    if image is not None:
        assert f"({image})" in lint  # the same redaction of the same token


def test_redaction_never_shows_the_token() -> None:
    value = "ghp_" + A36
    message = _lint_credential(value)
    assert message is not None and value not in message and A36[4:-4] not in message


def test_image_markers_cover_every_shared_format() -> None:
    """The byte prefilter of the image scan must not skip a file holding any shared format."""
    from dockopt.inspect.secret_rules import might_hold_token

    for value in FLAGGED:
        assert might_hold_token(value.encode()), value
