"""PHP Composer packages: `vendor/composer/installed.json`, which Composer writes on every
install — a list of packages (Composer 1) or `{"packages": [...], "dev": …}` (Composer 2)."""

from __future__ import annotations

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import COMPOSER, Package
from dockopt.safeload import load_json

MAX_INSTALLED = 32 << 20


def installed_packages(doc: object) -> list[dict[str, object]]:
    """(name, version, licenses) of each entry with a `vendor/name` and a version."""
    entries = doc.get("packages") if isinstance(doc, dict) else doc
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or "/" not in name or not isinstance(version, str) or not version:
            continue
        lic = entry.get("license")
        licenses = [x for x in (lic if isinstance(lic, list) else [lic]) if isinstance(x, str)]
        out.append({"name": name, "version": version, "licenses": licenses})
    return out


def composer_purl(name: str, version: str) -> str:
    vendor, _, short = name.partition("/")
    return PackageURL("composer", vendor, short, version).to_string()


class ComposerCataloger(Cataloger):
    name = "composer"
    basenames = frozenset({"installed.json"})

    def wants(self, path, entry):
        return min(entry.size, MAX_INSTALLED) if path.endswith("/vendor/composer/installed.json") else 0

    def extract(self, path, data):
        return installed_packages(load_json(data, path, max_bytes=MAX_INSTALLED))

    def build(self, ctx: Context) -> list[Package]:
        out = []
        for f in ctx.surviving(self.name):
            for meta in f.value:
                name, version = str(meta["name"]), str(meta["version"])
                out.append(Package(name=name, version=version, type=COMPOSER, purl=composer_purl(name, version),
                                   licenses=normalise(meta["licenses"]), locations=((f.diff_id, f.path),)))
        return out
