"""License texts as found in packages -> SPDX expressions (via `license-expression`).

Package metadata says the same thing many ways: Debian copyright short names (`GPL-2+`,
`Expat`), Python classifiers (`License :: OSI Approved :: MIT License`), free text
(`Apache 2.0`). What cannot be made a valid SPDX expression is kept as free text, never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ALIASES = {
    "expat": "MIT", "mit license": "MIT", "the mit license": "MIT", "mit/x11": "MIT", "x11": "X11",
    "apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache 2": "Apache-2.0", "apache2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0", "apache license, version 2.0": "Apache-2.0",
    "apache software license": "Apache-2.0", "the apache software license, version 2.0": "Apache-2.0",
    "the apache license, version 2.0": "Apache-2.0", "asl 2.0": "Apache-2.0",
    "new bsd license": "BSD-3-Clause", "bsd 3-clause": "BSD-3-Clause",
    "modified bsd license": "BSD-3-Clause", "simplified bsd license": "BSD-2-Clause", "bsd 2-clause": "BSD-2-Clause",
    "isc license": "ISC", "isc license (iscl)": "ISC", "python software foundation license": "PSF-2.0",
    "psf": "PSF-2.0", "psfl": "PSF-2.0", "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0", "mpl 2.0": "MPL-2.0",
    "public domain": "LicenseRef-public-domain", "public-domain": "LicenseRef-public-domain",
    "gnu general public license v2 (gplv2)": "GPL-2.0-only", "gnu general public license v3 (gplv3)": "GPL-3.0-only",
    "gnu lesser general public license v2 (lgplv2)": "LGPL-2.0-only",
    "gnu lesser general public license v3 (lgplv3)": "LGPL-3.0-only",
    "gnu library or lesser general public license (lgpl)": "LGPL-2.0-or-later",
    "eclipse public license 2.0": "EPL-2.0", "eclipse public license - v 2.0": "EPL-2.0",
    "eclipse public license 1.0": "EPL-1.0", "zlib/libpng license": "Zlib", "the unlicense (unlicense)": "Unlicense",
    "boost software license 1.0 (bsl-1.0)": "BSL-1.0", "artistic": "Artistic-1.0-Perl",
}
# Debian short names: GPL-2, GPL-2+, LGPL-2.1+, AGPL-3, GFDL-1.2+ ...
_DEB_FAMILY = re.compile(r"^(A?GPL|LGPL|GFDL)-?(\d(?:\.\d)?)(\+)?$", re.I)
_NOT_A_LICENSE = {"", "unknown", "none", "other", "other/proprietary license", "dual license", "see license",
                  "see license file", "license", "see license.txt", "unlicensed", "proprietary", "undefined"}


def _debian_family(token: str) -> str | None:
    m = _DEB_FAMILY.match(token)
    if not m:
        return None
    family, ver, plus = m.group(1).upper(), m.group(2), m.group(3)
    if "." not in ver:
        ver += ".0"
    if family == "GFDL":
        return f"GFDL-{ver}-or-later" if plus else f"GFDL-{ver}-only"
    return f"{family}-{ver}-or-later" if plus else f"{family}-{ver}-only"


@lru_cache(maxsize=None)
def _licensing():
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@lru_cache(maxsize=8192)
def normalise_one(text: str) -> str | None:
    """One license text -> an SPDX expression, free text, or None when it says nothing."""
    t = " ".join(text.split()).strip().strip(";,")
    if t.lower() in _NOT_A_LICENSE or len(t) > 400:
        return None if t.lower() in _NOT_A_LICENSE else t[:200]
    alias = _ALIASES.get(t.lower()) or _debian_family(t)
    if alias:
        return alias
    candidate = t
    # Debian writes `GPL-2+ or Artistic`, npm `(MIT OR Apache-2.0)`: map each token, then validate.
    tokens = re.split(r"(\s+(?:or|and|with|OR|AND|WITH)\s+|[()])", t)
    mapped = []
    for tok in tokens:
        stripped = tok.strip()
        if not stripped or stripped in "()" or stripped.lower() in ("or", "and", "with"):
            mapped.append(tok.upper() if stripped.lower() in ("or", "and", "with") else tok)
            continue
        mapped.append(_ALIASES.get(stripped.lower()) or _debian_family(stripped) or stripped)
    candidate = "".join(mapped)
    try:
        parsed = _licensing().parse(candidate, validate=True, strict=False)
    except Exception:  # license-expression raises several types for unknown keys and bad syntax
        return t
    if parsed is None:
        return None
    return str(parsed.render())


def normalise(texts) -> tuple[str, ...]:
    """Normalise and deduplicate, keeping first-seen order."""
    out: list[str] = []
    for text in texts:
        if not text:
            continue
        value = normalise_one(str(text))
        if value and value not in out:
            out.append(value)
    return tuple(out)


def is_spdx(expression: str) -> bool:
    """True when `expression` is a valid SPDX expression (LicenseRef-* allowed)."""
    try:
        _licensing().parse(expression, validate=True, strict=False)
        return True
    except Exception:
        return bool(re.fullmatch(r"LicenseRef-[A-Za-z0-9.\-]+", expression))


CLASSIFIER_PREFIX = "License :: "


def from_classifier(classifier: str) -> str | None:
    """`License :: OSI Approved :: MIT License` -> `MIT`."""
    if not classifier.startswith(CLASSIFIER_PREFIX):
        return None
    last = classifier.rsplit("::", 1)[-1].strip()
    if last in ("OSI Approved", "Other/Proprietary License"):
        return None
    return normalise_one(last)
