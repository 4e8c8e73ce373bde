"""Alpine packages: `/lib/apk/db/installed` (P: name, V: version, A: arch, o: origin, L: license;
F: a directory and the R: files in it that the package installed, for `owned_by`)."""

from __future__ import annotations

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.dpkg import DpkgCataloger
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import APK, Package

DB_PATHS = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")


def parse_apk_db(text: str, keep=lambda path: False) -> list[dict]:
    """Stanzas as {letter: value} (first value of each letter), with "files": the installed
    paths (`/` + F: directory + R: name) that `keep` accepts."""
    out = []
    for stanza in text.split("\n\n"):
        fields: dict = {}
        files: list[str] = []
        folder = ""
        for line in stanza.splitlines():
            if len(line) > 2 and line[1] == ":":
                if line[0] == "F":
                    folder = line[2:].strip().strip("/")
                elif line[0] == "R":
                    path = f"/{folder}/{line[2:].strip()}" if folder else f"/{line[2:].strip()}"
                    if keep(path):
                        files.append(path)
                if line[0] not in fields:
                    fields[line[0]] = line[2:].strip()
        if fields.get("P"):
            fields["files"] = tuple(files)
            out.append(fields)
    return out


class ApkCataloger(Cataloger):
    name = "apk"
    basenames = frozenset({"installed"})
    file_lists = True

    def wants(self, path, entry):
        return min(entry.size, 64 << 20) if path in DB_PATHS else 0

    def extract(self, path, data):
        return ("db", [{"Package": s["P"], "Version": s.get("V", ""), "Architecture": s.get("A", ""), **s}
                       for s in parse_apk_db(data.decode("utf-8", "replace"), self.keep_listed)])

    def build(self, ctx: Context) -> list[Package]:
        dbs = ctx.found.get(self.name, [])
        out = []
        distro = ctx.distro
        for final in (f for f in dbs if f.survives):
            first = DpkgCataloger._introduced(final, [f for f in dbs if f.path == final.path])
            for s in final.value[1]:
                for listed in s["files"]:
                    ctx.owners.setdefault(listed, (APK, s["P"]))
                where = first.get((s["P"], s.get("V", ""), s.get("A", ""))) or final
                qualifiers = {"arch": s["A"]} if s.get("A") else {}
                if s.get("o") and s["o"] != s["P"]:
                    qualifiers["upstream"] = s["o"]
                if distro.version_id:
                    qualifiers["distro"] = f"{distro.id or 'alpine'}-{distro.version_id}"
                purl = PackageURL("apk", distro.id or "alpine", s["P"], s.get("V", ""), qualifiers or None).to_string()
                out.append(Package(name=s["P"], version=s.get("V", ""), type=APK, purl=purl,
                                   licenses=normalise([s["L"]] if s.get("L") else []),
                                   source_name=s.get("o") or s["P"], source_version=s.get("V"),
                                   distro_id=distro.id, distro_version=distro.version_id,
                                   locations=((where.diff_id, final.path),)))
        return out
