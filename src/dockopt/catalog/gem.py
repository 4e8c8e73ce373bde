"""Ruby gems: the `specifications/*.gemspec` files RubyGems writes for every installed gem
(`gem install`, Bundler, Debian's `ruby-*` packages under /usr/share/rubygems-integration, and
the default gems under `specifications/default/`).

An installed gemspec is Ruby code that RubyGems generated (`Gem::Specification.new do |s|` with
`s.name = "rake".freeze` …); it is read as text, never evaluated. The values are string
literals in that generated form; anything else (a gemspec written by hand that computes its
version) is skipped rather than guessed.
"""

from __future__ import annotations

import re

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import GEM, Package

MAX_GEMSPEC = 256 << 10
_STRING = r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')"""
_ASSIGN = r"^\s*\w+\.{field}\s*=\s*"
_NAME = re.compile(_ASSIGN.format(field="name") + _STRING, re.M)
_VERSION = re.compile(_ASSIGN.format(field="version") + r"(?:Gem::Version\.new\(\s*)?" + _STRING, re.M)
_LICENSES = re.compile(_ASSIGN.format(field=r"licenses?") + r"\[?([^\n\]]*)", re.M)
_STUB = re.compile(r"^# stub: (\S+) (\S+) ", re.M)  # the first-line summary RubyGems writes


def _strings(text: str) -> list[str]:
    return [a or b for a, b in re.findall(_STRING, text)]


def parse_gemspec(text: str) -> dict[str, object] | None:
    name_m, version_m = _NAME.search(text), _VERSION.search(text)
    stub = _STUB.search(text)
    name = (name_m.group(1) or name_m.group(2)) if name_m else (stub.group(1) if stub else None)
    version = (version_m.group(1) or version_m.group(2)) if version_m else (stub.group(2) if stub else None)
    if not name or not version:
        return None
    licenses = [x for m in _LICENSES.finditer(text) for x in _strings(m.group(1))]
    return {"name": name, "version": version, "licenses": licenses}


class GemCataloger(Cataloger):
    name = "gem"
    suffixes = (".gemspec",)

    def wants(self, path, entry):
        parent = path[:path.rfind("/")]
        if parent.endswith("/specifications") or parent.endswith("/specifications/default"):
            return min(entry.size, MAX_GEMSPEC)
        return 0

    def extract(self, path, data):
        return parse_gemspec(data.decode("utf-8", "replace"))

    def build(self, ctx: Context) -> list[Package]:
        out = []
        for f in ctx.surviving(self.name):
            meta = f.value
            name, version = str(meta["name"]), str(meta["version"])
            out.append(Package(name=name, version=version, type=GEM,
                               purl=PackageURL("gem", None, name, version).to_string(),
                               licenses=normalise(meta["licenses"]), locations=((f.diff_id, f.path),)))
        return out
