"""Hostile version text: every scheme's key either orders it or raises InvalidVersion, quickly.

Versions come from untrusted places (package databases inside images, OSV records), so no text
may crash a scheme (Python's 4,300-digit int limit, Unicode digits int() refuses, deep nesting)
or make it do unbounded work (1 MB strings).
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockopt.vuln.versions import MAX_VERSION_LENGTH, SCHEME_NAMES, InvalidVersion, _module

# Characters the schemes' grammars care about, plus controls, Unicode digits and separators.
ALPHABET = st.sampled_from(list("0123456789.-_+~^:abcprxvzABRCX ") + ["\x00", "\t", "\n", "\x7f", "\u0660",
                                                                       "\u00b2", "\uff11", "\u2028", "\ud800"])
VERSIONS = st.one_of(
    st.text(ALPHABET, max_size=40),
    st.text(max_size=40),
    st.builds(lambda head, digits, tail: head + "9" * digits + tail,
              st.text(ALPHABET, max_size=5), st.integers(300, 600), st.text(ALPHABET, max_size=5)),
)


def _key_or_invalid(scheme: str, text: str):
    try:
        return _module(scheme).key(text)
    except InvalidVersion:
        return None


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=VERSIONS, b=VERSIONS)
def test_any_text_is_ordered_or_refused(scheme, a, b):
    ka, kb = _key_or_invalid(scheme, a), _key_or_invalid(scheme, b)
    for k in (ka, kb):
        if k is not None:
            assert not k < k and k == k
    if ka is not None and kb is not None:
        # The three relations are consistent: exactly one holds.
        assert [ka < kb, ka == kb, ka > kb].count(True) == 1


HUGE = {
    "5,000-digit number": "1." + "7" * 5000 + ".0",
    "5,000-digit pre-release number": "1.0.0-" + "7" * 5000,
    "1 MB of digits and dots": "1." * 500_000,
    "1 MB of separators": "-" * 1_000_000,
    "1 MB nesting (Maven sub-lists)": "1-" * 500_000 + "1",
    "NUL and controls": "1.0\x00\x01\x1b[31m-r1",
    "Unicode digits": "\u0661.\u0662.\u0663",
    "superscript digit": "1.\u00b2",
}


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
@pytest.mark.parametrize("case", list(HUGE))
def test_huge_and_strange_text_is_handled_fast(scheme, case):
    text = HUGE[case]
    start = time.perf_counter()
    key = _key_or_invalid(scheme, text)
    if key is not None:
        assert key == _module(scheme).key(text)
    assert time.perf_counter() - start < 0.5
    if len(text) > MAX_VERSION_LENGTH:
        assert key is None


@pytest.mark.parametrize("scheme", SCHEME_NAMES)
def test_longest_accepted_text_still_compares(scheme):
    # Just under the cap, the comparison itself (recursive for Maven) must not blow up either.
    samples = ["1-" * (MAX_VERSION_LENGTH // 2 - 1) + "1", "1." * (MAX_VERSION_LENGTH // 2 - 1) + "1",
               "1.0.0-" + "a." * (MAX_VERSION_LENGTH // 2 - 4) + "a"]
    keys = [k for k in (_key_or_invalid(scheme, s) for s in samples) if k is not None]
    for a in keys:
        for b in keys:
            assert [a < b, a == b, a > b].count(True) == 1
