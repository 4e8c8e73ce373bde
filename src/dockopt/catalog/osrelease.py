"""The distribution: `/etc/os-release`, else `/usr/lib/os-release` (Debian makes the first a symlink)."""

from __future__ import annotations

import shlex

from dockopt.catalog.core import Cataloger, Context, Distro
from dockopt.catalog.model import Package

PATHS = ("/etc/os-release", "/usr/lib/os-release")


def parse_os_release(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            parts = shlex.split(value)
            value = parts[0] if parts else ""
        except ValueError:
            value = value.strip("\"'")
        out[key.strip()] = value
    return out


class OsReleaseCataloger(Cataloger):
    name = "os-release"
    basenames = frozenset({"os-release"})

    def wants(self, path, entry):
        return min(entry.size, 64 << 10) if path in PATHS else 0

    def extract(self, path, data):
        return parse_os_release(data.decode("utf-8", "replace"))

    def build(self, ctx: Context) -> list[Package]:
        by_path = {f.path: f.value for f in ctx.surviving(self.name)}
        fields = next((by_path[p] for p in PATHS if p in by_path), None)
        if fields:
            ctx.distro = Distro(fields.get("ID") or None, fields.get("VERSION_ID") or None,
                                fields.get("VERSION_CODENAME") or None, fields.get("PRETTY_NAME") or None,
                                tuple((fields.get("ID_LIKE") or "").split()))
        return []
