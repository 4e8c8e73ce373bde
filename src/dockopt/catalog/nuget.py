""".NET packages: the `<app>.deps.json` the .NET SDK writes next to every published application
(`targets` → per runtime the resolved `Name/Version` entries; `libraries` → their `type`).

Only `"type": "package"` libraries are NuGet packages; `project` entries are the application
and its own projects, and `reference`/`referenceassembly` ones are framework assemblies, none
of which NuGet advisories name. deps.json carries no licenses.
"""

from __future__ import annotations

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.model import NUGET, Package
from dockopt.safeload import load_json

MAX_DEPS = 32 << 20


def deps_packages(doc: object) -> list[tuple[str, str]]:
    libraries = doc.get("libraries") if isinstance(doc, dict) else None
    out = []
    for key, meta in (libraries.items() if isinstance(libraries, dict) else ()):
        name, sep, version = key.rpartition("/")
        if sep and name and version and isinstance(meta, dict) and meta.get("type") == "package":
            out.append((name, version))
    return out


class NugetCataloger(Cataloger):
    name = "nuget"
    suffixes = (".deps.json",)

    def wants(self, path, entry):
        return min(entry.size, MAX_DEPS)

    def extract(self, path, data):
        return deps_packages(load_json(data, path, max_bytes=MAX_DEPS))

    def build(self, ctx: Context) -> list[Package]:
        return [Package(name=name, version=version, type=NUGET, purl=PackageURL("nuget", None, name, version).to_string(),
                        locations=((f.diff_id, f.path),))
                for f in ctx.surviving(self.name) for name, version in f.value]
