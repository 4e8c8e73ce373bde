"""Java archives (jar, war, ear, and Jenkins' jpi/hpi): Maven `pom.properties`, else
`META-INF/MANIFEST.MF`, and nested archives (WEB-INF/lib, BOOT-INF/lib …), with bounds on
depth, sizes and entry counts so a hostile archive cannot exhaust memory."""

from __future__ import annotations

import io
import re
import zipfile

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.licenses import normalise
from dockopt.catalog.model import JAVA, Package

ARCHIVE_SUFFIXES = (".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar")
MAX_ARCHIVE = 64 << 20
MAX_NESTED = 32 << 20
MAX_DEPTH = 3
MAX_MEMBERS = 20000
MAX_SMALL_FILE = 1 << 20
_VERSIONED_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+?)-(?P<version>\d[\w.\-+]*)$")


def parse_manifest(text: str) -> dict[str, str]:
    """Main section of a MANIFEST.MF (72-byte lines continue with a leading space)."""
    out: dict[str, str] = {}
    key = None
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if out:
                break  # end of the main section
            continue
        if line.startswith(" ") and key:
            out[key] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if not sep:
            key = None
            continue
        key = key.strip()
        out[key] = value.strip()
    return out


def parse_properties(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    if info.file_size > MAX_SMALL_FILE:
        return ""
    return zf.read(info).decode("utf-8", "replace")


def scan_archive(data: bytes, inner_path: str, depth: int = 0) -> list[dict[str, object]]:
    """Packages of one archive: its pom.properties artifacts (or its manifest identity), then nested archives."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return []
    with zf:
        infos = zf.infolist()[:MAX_MEMBERS]
        out: list[dict[str, object]] = []
        manifest: dict[str, str] = {}
        for info in infos:
            if info.filename.upper() == "META-INF/MANIFEST.MF":
                manifest = parse_manifest(_read_small(zf, info))
        license_texts = [manifest[k] for k in ("Bundle-License",) if manifest.get(k)]
        license_texts = [t for t in license_texts if not t.startswith("http")]
        poms = [i for i in infos if i.filename.startswith("META-INF/maven/") and i.filename.endswith("/pom.properties")]
        for info in poms:
            props = parse_properties(_read_small(zf, info))
            group, artifact, version = props.get("groupId"), props.get("artifactId"), props.get("version")
            if artifact and version:
                out.append({"group": group or "", "artifact": artifact, "version": version,
                            "licenses": license_texts if len(poms) == 1 else [], "path": inner_path})
        if not out:
            identity = _from_manifest(manifest, inner_path)
            if identity:
                out.append({**identity, "licenses": license_texts, "path": inner_path})
        if depth < MAX_DEPTH:
            for info in infos:
                if info.filename.lower().endswith(ARCHIVE_SUFFIXES) and 0 < info.file_size <= MAX_NESTED:
                    try:
                        nested = zf.read(info)
                    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError):
                        # zipfile raises NotImplementedError for compression methods it lacks and
                        # RuntimeError for encrypted members: such a nested archive is skipped.
                        continue
                    out.extend(scan_archive(nested, f"{inner_path}:{info.filename}", depth + 1))
        return out


def _from_manifest(manifest: dict[str, str], inner_path: str) -> dict[str, str] | None:
    """Identity from the manifest, else from a `name-1.2.3.jar` file name."""
    stem = inner_path.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit(".", 1)[0]
    m = _VERSIONED_NAME.match(stem)
    version = manifest.get("Implementation-Version") or manifest.get("Bundle-Version") or (m and m.group("version"))
    # The file name first (as syft does), then the manifest's titles.
    name = (m and m.group("name")) or stem or manifest.get("Bundle-SymbolicName", "").split(";")[0] \
        or manifest.get("Implementation-Title")
    if not version or not name:
        return None
    group = manifest.get("Implementation-Vendor-Id") or ""
    return {"group": group, "artifact": name, "version": version}


class JavaCataloger(Cataloger):
    name = "java"
    suffixes = ARCHIVE_SUFFIXES

    def wants(self, path, entry):
        return entry.size if 0 < entry.size <= MAX_ARCHIVE else 0

    def extract(self, path, data):
        found = scan_archive(data, path)
        return found or None

    def build(self, ctx: Context) -> list[Package]:
        out = []
        for f in ctx.surviving(self.name):
            for item in f.value:
                group, artifact, version = str(item["group"]), str(item["artifact"]), str(item["version"])
                name = f"{group}:{artifact}" if group else artifact
                purl = PackageURL("maven", group or None, artifact, version).to_string()
                out.append(Package(name=name, version=version, type=JAVA, purl=purl,
                                   licenses=normalise(item["licenses"]),  # type: ignore[arg-type]
                                   locations=((f.diff_id, str(item["path"])),)))
        return out
