"""Every scheme against its ecosystem's own ordering of published versions.

Each file in data/versions/ is a ranking that the ecosystem's tool produced by comparing every
pair of its strings (scripts/version_corpus.py; each file's header names the strings' source,
the oracle and its version). A ranking of N strings is N·(N−1)/2 ordered pairs; each is checked
here, in both directions, with no oracle needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.vuln.versions import SCHEME_NAMES, key_function

CORPORA = Path(__file__).parent / "data" / "versions"
MIN_VECTORS = 10_000


def _ranks(scheme: str) -> list[list[str]]:
    lines = (CORPORA / f"{scheme}.txt").read_text().splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
def test_scheme_agrees_with_its_oracle_on_every_pair(scheme):
    ranks = _ranks(scheme)
    key = key_function(scheme)
    entries = [(position, version, key(version)) for position, group in enumerate(ranks) for version in group]
    vectors = 0
    disagreements = []
    for i, (rank_a, a, key_a) in enumerate(entries):
        for rank_b, b, key_b in entries[i + 1:]:
            vectors += 1
            expected = (rank_a > rank_b) - (rank_a < rank_b)
            got = (key_a > key_b) - (key_a < key_b)
            reverse = (key_b > key_a) - (key_b < key_a)
            if got != expected or reverse != -expected:
                disagreements.append((a, b, expected, got))
    assert vectors >= MIN_VECTORS
    assert not disagreements, disagreements[:20]


def test_every_corpus_says_where_it_comes_from():
    for scheme in SCHEME_NAMES:
        header = [line for line in (CORPORA / f"{scheme}.txt").read_text().splitlines() if line.startswith("#")]
        text = "\n".join(header)
        assert "# Strings: " in text and "# Oracle: " in text and "# Generated " in text, scheme
