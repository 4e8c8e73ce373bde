"""Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and single-file `*.egg-info`,
wherever they are (system site-packages, venvs, conda, user installs)."""

from __future__ import annotations

import re
from email.parser import HeaderParser

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.licenses import from_classifier, is_spdx, normalise, normalise_one
from dockopt.catalog.model import PYTHON, Package

MAX_METADATA = 256 << 10


def canonical_name(name: str) -> str:
    """PEP 503 normalisation, as purls for pypi require."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_metadata(text: str) -> dict[str, object] | None:
    headers_end = text.find("\n\n")
    msg = HeaderParser().parsestr(text[:headers_end] if headers_end >= 0 else text)
    name, version = msg.get("Name"), msg.get("Version")
    if not name or not version:
        return None
    licenses: list[str] = []
    expression = msg.get("License-Expression")
    if expression:
        licenses.append(expression.strip())
    else:
        text = (msg.get("License") or "").strip()
        # Many projects paste the whole license text into `License`: keep only short values.
        short = text if text and "\n" not in text and len(text) <= 100 else ""
        normal = normalise_one(short) if short else None
        if normal and is_spdx(normal):
            licenses.append(short)
        else:
            classified = [c for c in (from_classifier(x) for x in msg.get_all("Classifier") or []) if c]
            licenses = classified or ([short] if normal else [])
    return {"name": name.strip(), "version": version.strip(), "licenses": licenses}


class PythonCataloger(Cataloger):
    name = "python"
    basenames = frozenset({"METADATA", "PKG-INFO"})
    suffixes = (".egg-info",)

    def wants(self, path, entry):
        parent = path[:path.rfind("/")]
        if path.endswith("/METADATA") and parent.endswith(".dist-info"):
            return min(entry.size, MAX_METADATA)
        if path.endswith("/PKG-INFO") and parent.endswith(".egg-info"):
            return min(entry.size, MAX_METADATA)
        if path.endswith(".egg-info"):  # the old single-file form
            return min(entry.size, MAX_METADATA)
        return 0

    def extract(self, path, data):
        return parse_metadata(data.decode("utf-8", "replace"))

    def build(self, ctx: Context) -> list[Package]:
        out = []
        for f in ctx.surviving(self.name):
            meta = f.value
            purl = PackageURL("pypi", None, canonical_name(str(meta["name"])), str(meta["version"])).to_string()
            out.append(Package(name=str(meta["name"]), version=str(meta["version"]), type=PYTHON, purl=purl,
                               licenses=normalise(meta["licenses"]), locations=((f.diff_id, f.path),)))
        return out
