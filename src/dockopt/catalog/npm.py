"""npm packages: every `package.json` with a name and version (installed trees under
`node_modules`, global installs, distro-packaged modules), and `package-lock.json` entries for
projects whose `node_modules` is not in the image."""

from __future__ import annotations

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import NPM, Package
from dockopt.errors import InputError
from dockopt.safeload import load_json

MAX_JSON = 4 << 20


def npm_purl(name: str, version: str) -> str:
    namespace, _, short = name.rpartition("/")
    return PackageURL("npm", namespace or None, short, version).to_string()


def license_texts(doc: dict) -> list[str]:
    value = doc.get("license")
    if value is None and isinstance(doc.get("licenses"), list):
        value = doc["licenses"]
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("type")
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
    return out


class NpmCataloger(Cataloger):
    name = "npm"
    basenames = frozenset({"package.json", "package-lock.json"})

    def wants(self, path, entry):
        return min(entry.size, MAX_JSON) if entry.size <= MAX_JSON else 0

    def extract(self, path, data):
        try:
            doc = load_json(data, path, max_bytes=MAX_JSON)
        except InputError:
            return None  # not JSON, or nested past the cap: not a package manifest
        if not isinstance(doc, dict):
            return None
        if path.endswith("/package-lock.json"):
            return ("lock", _lock_entries(doc))
        name, version = doc.get("name"), doc.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
            return None
        return ("package", {"name": name, "version": version, "licenses": license_texts(doc)})

    def build(self, ctx: Context) -> list[Package]:
        out, seen_dirs = [], set()
        surviving = ctx.surviving(self.name)
        for f in surviving:
            if f.value[0] != "package":
                continue
            seen_dirs.add(f.path.rsplit("/", 1)[0])
            v = f.value[1]
            out.append(Package(name=v["name"], version=v["version"], type=NPM, purl=npm_purl(v["name"], v["version"]),
                               licenses=normalise(v["licenses"]), locations=((f.diff_id, f.path),)))
        for f in surviving:
            project = f.path.rsplit("/", 1)[0]
            if f.value[0] != "lock" or ctx.scan.fs.get(project + "/node_modules") is not None:
                continue  # installed trees were read from their package.json files
            for name, version, licenses in f.value[1]:
                out.append(Package(name=name, version=version, type=NPM, purl=npm_purl(name, version),
                                   licenses=normalise(licenses), locations=((f.diff_id, f.path),)))
        return out


def _lock_entries(doc: dict) -> list[tuple[str, str, list[str]]]:
    out = []
    packages = doc.get("packages")
    if isinstance(packages, dict):  # lockfileVersion 2 and 3
        for key, meta in packages.items():
            if not key or not isinstance(meta, dict) or meta.get("link"):
                continue
            name = meta.get("name") or key.rsplit("node_modules/", 1)[-1]
            version = meta.get("version")
            if isinstance(name, str) and isinstance(version, str):
                lic = meta.get("license")
                out.append((name, version, [lic] if isinstance(lic, str) else []))
        return out
    def walk(deps: dict) -> None:  # lockfileVersion 1
        for name, meta in deps.items():
            if isinstance(meta, dict) and isinstance(meta.get("version"), str):
                out.append((name, meta["version"], []))
                walk(meta.get("dependencies") or {})
    walk(doc.get("dependencies") or {})
    return out
