"""Debian packages: `/var/lib/dpkg/status` and distroless `status.d/`, licenses from
machine-readable `/usr/share/doc/<pkg>/copyright`, and the files each package installed from
`/var/lib/dpkg/info/<pkg>[:<arch>].list` (for `owned_by` of the language packages among them).

Each package is located in the layer whose status file first lists it at its final version,
which is where it was installed (the surviving status file is rewritten by every apt layer).
"""

from __future__ import annotations

import re

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context, Found
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import DEB, Package

STATUS = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"
DOC = "/usr/share/doc/"
INFO = "/var/lib/dpkg/info/"
MAX_LIST = 16 << 20
MAX_DB = 64 << 20
MAX_COPYRIGHT = 512 << 10
_LICENSE_LINE = re.compile(r"^License:[ \t]*(\S.*?)\s*$", re.M)
# DEP-5's header paragraph opens with `Format:` (early drafts: `Format-Specification:`), but
# files in the wild put comments or blank lines before it, and older ones point at the DEP-5
# draft URL rather than copyright-format/1.0: look for the field line near the top.
_FORMAT_LINE = re.compile(r"^Format(?:-Specification)?:[ \t]*\S", re.M)
_FORMAT_WINDOW = 2048
_SOURCE = re.compile(r"^(\S+)(?:\s+\((\S+)\))?")


def parse_control(text: str) -> list[dict[str, str]]:
    """RFC-822-like stanzas; continuation lines are kept only for the fields we need (none are multi-line)."""
    out = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if not line or line[0] in " \t":
                continue
            key, sep, value = line.partition(":")
            if sep:
                fields[key] = value.strip()
        if fields.get("Package"):
            out.append(fields)
    return out


def installed(stanza: dict[str, str]) -> bool:
    status = stanza.get("Status")
    return status is None or status.split()[-1] in ("installed", "half-configured", "unpacked", "triggers-awaited",
                                                     "triggers-pending", "half-installed")


def copyright_licenses(text: str) -> list[str]:
    """`License:` short names of a machine-readable (DEP-5) copyright file; none for free-form ones."""
    if not _FORMAT_LINE.search(text[:_FORMAT_WINDOW]):
        return []
    return [m.group(1) for m in _LICENSE_LINE.finditer(text)]


def listed_paths(text: str, keep) -> tuple[str, ...]:
    """The paths of a dpkg `.list` file (one absolute path a line) that `keep` accepts."""
    return tuple(line for line in text.split("\n") if line.startswith("/") and keep(line))


class DpkgCataloger(Cataloger):
    name = "dpkg"
    basenames = frozenset({"status", "copyright"})
    prefixes = (STATUS_D, INFO)
    file_lists = True

    def wants(self, path, entry):
        if path.startswith(INFO):
            return min(entry.size, MAX_LIST) if path.endswith(".list") and "/" not in path[len(INFO):] else 0
        if path == STATUS:
            return min(entry.size, MAX_DB)
        if path.startswith(STATUS_D) and not path.endswith(".md5sums"):
            return min(entry.size, MAX_DB)
        if path.startswith(DOC) and path.count("/") == 5 and path.endswith("/copyright"):
            return min(entry.size, MAX_COPYRIGHT)
        return 0

    def extract(self, path, data):
        text = data.decode("utf-8", "replace")
        if path.startswith(INFO):
            package = path[len(INFO):-len(".list")].split(":", 1)[0]  # `libc6:amd64.list` for Multi-Arch: same
            return ("list", package, listed_paths(text, self.keep_listed))
        if path.endswith("/copyright") and path.startswith(DOC):
            return ("copyright", copyright_licenses(text))
        return ("db", [s for s in parse_control(text) if installed(s)])

    def build(self, ctx: Context) -> list[Package]:
        versions = ctx.found.get(self.name, [])
        licenses: dict[str, list[str]] = {}
        for f in versions:
            if f.survives and f.value[0] == "copyright":
                licenses[f.path[len(DOC):].split("/", 1)[0]] = f.value[1]
        dbs = [f for f in versions if f.value[0] == "db"]
        installed_names = {s["Package"] for f in dbs if f.survives and f.path == STATUS for s in f.value[1]}
        for f in versions:
            if f.survives and f.value[0] == "list" and f.value[1] in installed_names:
                for listed in f.value[2]:
                    ctx.owners.setdefault(listed, (DEB, f.value[1]))
        out = []
        for final in (f for f in dbs if f.survives):
            first_layer = self._introduced(final, [f for f in dbs if f.path == final.path])
            for stanza in final.value[1]:
                out.append(self._package(stanza, ctx, first_layer.get((stanza["Package"], stanza.get("Version", ""),
                                                                       stanza.get("Architecture", ""))),
                                         final, licenses))
        return out

    @staticmethod
    def _introduced(final: Found, history: list[Found]) -> dict[tuple[str, str, str], Found]:
        """For each (name, version, arch) of the final database: the earliest version of the
        database, in an unbroken run up to the final one, that already lists it."""
        first: dict[tuple[str, str, str], Found] = {}
        for f in history:
            if f.layer > final.layer:
                continue
            keys = {(s["Package"], s.get("Version", ""), s.get("Architecture", "")) for s in f.value[1]}
            first = {k: first.get(k, f) for k in keys}
        return first

    @staticmethod
    def _package(stanza: dict[str, str], ctx: Context, introduced: Found | None, final: Found,
                 licenses: dict[str, list[str]]) -> Package:
        name, version, arch = stanza["Package"], stanza.get("Version", ""), stanza.get("Architecture", "")
        source_name = source_version = None
        if stanza.get("Source"):
            m = _SOURCE.match(stanza["Source"])
            if m:
                source_name, source_version = m.group(1), m.group(2)
        distro = ctx.distro
        namespace = distro.id or "debian"
        qualifiers = {"arch": arch} if arch else {}
        if source_name and source_name != name:
            qualifiers["upstream"] = f"{source_name}@{source_version}" if source_version else source_name
        if distro.id and distro.version_id:
            qualifiers["distro"] = f"{distro.id}-{distro.version_id}"
        purl = PackageURL("deb", namespace, name, version, qualifiers or None).to_string()
        where = introduced or final
        return Package(name=name, version=version, type=DEB, purl=purl,
                       licenses=normalise(licenses.get(name, ())), source_name=source_name or name,
                       source_version=source_version or version, distro_id=distro.id,
                       distro_version=distro.version_id, locations=((where.diff_id, final.path),))
