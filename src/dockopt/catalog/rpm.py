"""RPM packages from the sqlite rpmdb (`rpmdb.sqlite`, RHEL 9 / Fedora 33+), headers parsed by hand;
each package's files (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]) for `owned_by`.

Older images keep a Berkeley DB (`Packages`) or NDB (`Packages.db`) database: those are not
read, and the catalog says so in its notes rather than report an empty package list silently.
"""

from __future__ import annotations

import sqlite3
import struct

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.dpkg import DpkgCataloger
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import RPM, Package

DB_DIRS = ("/var/lib/rpm/", "/usr/lib/sysimage/rpm/")
TAGS = {1000: "name", 1001: "version", 1002: "release", 1003: "epoch", 1014: "license", 1022: "arch",
        1044: "sourcerpm", 1011: "vendor"}
STRING, STRING_ARRAY, I18NSTRING, INT32 = 6, 8, 9, 4
# File list tags: the whole array is read (the tags above take their first value).
DIRINDEXES, BASENAMES, DIRNAMES = 1116, 1117, 1118
ARRAY_TAGS = {DIRINDEXES: "dirindexes", BASENAMES: "basenames", DIRNAMES: "dirnames"}


def parse_header(blob: bytes) -> dict[str, object]:
    """An rpm header blob as stored in rpmdb.sqlite: counts, index entries, then the data store."""
    il, dl = struct.unpack_from(">ii", blob, 0)
    if il < 0 or dl < 0 or 8 + il * 16 + dl > len(blob):
        raise ValueError("corrupt rpm header")
    store = 8 + il * 16
    out: dict[str, object] = {}
    for i in range(il):
        tag, typ, offset, count = struct.unpack_from(">iiii", blob, 8 + i * 16)
        pos = store + offset
        if tag in ARRAY_TAGS:
            out[ARRAY_TAGS[tag]] = _array(blob, typ, pos, count, store + dl)
            continue
        key = TAGS.get(tag)
        if key is None:
            continue
        if typ in (STRING, I18NSTRING, STRING_ARRAY):
            end = blob.index(b"\0", pos)
            out[key] = blob[pos:end].decode("utf-8", "replace")
        elif typ == INT32 and count >= 1:
            out[key] = struct.unpack_from(">i", blob, pos)[0]
    return out


def _array(blob: bytes, typ: int, pos: int, count: int, end: int) -> tuple:
    if typ == INT32:
        if pos + 4 * count > end:
            raise ValueError("corrupt rpm header")
        return struct.unpack_from(f">{count}i", blob, pos)
    if typ != STRING_ARRAY:
        return ()
    items = []
    for _ in range(count):
        stop = blob.index(b"\0", pos, end)
        items.append(blob[pos:stop].decode("utf-8", "replace"))
        pos = stop + 1
    return tuple(items)


def header_files(header: dict[str, object]) -> list[str]:
    """The package's installed paths (directory names end with "/" in the header)."""
    dirs, names, index = header.get("dirnames", ()), header.get("basenames", ()), header.get("dirindexes", ())
    return [dirs[i] + name for i, name in zip(index, names) if 0 <= i < len(dirs)]  # type: ignore[index, operator, arg-type]


def read_sqlite_rpmdb(data: bytes) -> list[dict[str, object]]:
    # The database is opened from memory: nothing from the image is written to disk.
    if data[18:20] == b"\x02\x02":
        # rpm keeps its db in WAL mode; an in-memory copy must say "rollback journal" to open.
        data = data[:18] + b"\x01\x01" + data[20:]
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(data)
        rows = con.execute("SELECT blob FROM Packages").fetchall()
    finally:
        con.close()
    out = []
    for (blob,) in rows:
        header = parse_header(bytes(blob))
        if header.get("name") and header.get("name") != "gpg-pubkey":
            out.append(header)
    return out


def evr(h: dict[str, object]) -> str:
    v = f"{h.get('version', '')}-{h.get('release', '')}"
    return f"{h['epoch']}:{v}" if h.get("epoch") is not None else v


class RpmCataloger(Cataloger):
    name = "rpm"
    basenames = frozenset({"rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"})
    file_lists = True

    def wants(self, path, entry):
        if not path.startswith(DB_DIRS):
            return 0
        return min(entry.size, 512 << 20) if path.endswith("rpmdb.sqlite") else 1

    def extract(self, path, data):
        if path.endswith("-wal"):
            return ("wal", []) if data else None
        if not path.endswith("rpmdb.sqlite"):
            return ("other", [])
        rows = []
        for h in read_sqlite_rpmdb(data):
            files = tuple(p for p in header_files(h) if self.keep_listed(p))
            for key in ARRAY_TAGS.values():
                h.pop(key, None)
            rows.append({"Package": h["name"], "Version": evr(h), "Architecture": h.get("arch", ""), **h, "files": files})
        return ("db", rows)

    def build(self, ctx: Context) -> list[Package]:
        found = ctx.found.get(self.name, [])
        dbs = [f for f in found if f.value[0] == "db"]
        sqlite_dirs = {f.path.rsplit("/", 1)[0] for f in dbs if f.survives}
        for f in found:
            if f.survives and f.value[0] == "wal":
                ctx.notes.append(f"rpm: {f.path} holds changes not yet in rpmdb.sqlite; they are not read")
            if f.survives and f.value[0] == "other" and f.path.rsplit("/", 1)[0] not in sqlite_dirs:
                kind = "NDB" if f.path.endswith(".db") else "Berkeley DB"
                ctx.notes.append(f"rpm: {f.path} is a {kind} rpm database, which dockopt does not read; "
                                 f"RPM packages of this image are not listed")
        out = []
        distro = ctx.distro
        for final in (f for f in dbs if f.survives):
            first = DpkgCataloger._introduced(final, [f for f in dbs if f.path == final.path])
            for h in final.value[1]:
                for listed in h["files"]:
                    ctx.owners.setdefault(listed, (RPM, str(h["name"])))
                where = first.get((h["Package"], h["Version"], h["Architecture"])) or final
                src = str(h.get("sourcerpm") or "")
                source_name = src.rsplit("-", 2)[0] if src.endswith(".src.rpm") else None
                qualifiers = {"arch": str(h["arch"])} if h.get("arch") else {}
                if h.get("epoch") is not None:
                    qualifiers["epoch"] = str(h["epoch"])
                if distro.id and distro.version_id:
                    qualifiers["distro"] = f"{distro.id}-{distro.version_id}"
                version = f"{h.get('version', '')}-{h.get('release', '')}"
                purl = PackageURL("rpm", distro.id or None, str(h["name"]), version, qualifiers or None).to_string()
                out.append(Package(name=str(h["name"]), version=str(h["Version"]), type=RPM, purl=purl,
                                   licenses=normalise([h["license"]] if h.get("license") else []),
                                   source_name=source_name, distro_id=distro.id, distro_version=distro.version_id,
                                   locations=((where.diff_id, final.path),)))
        return out
