"""Rust crates: the dependency list `cargo auditable` embeds in binaries (the ELF section
`.dep-v0`: zlib-compressed JSON, `{"packages": [{"name", "version", "source", "kind",
"dependencies", "root"}]}`, described in cargo-auditable's PARSING.md), and `Cargo.lock` files
where a project's sources are in the image.

Only crates from a registry (crates.io or another) are reported: `local` and path crates are the
project's own code and git crates are unpublished, and neither is what a `pkg:cargo` purl or a
crates.io advisory names. Of the audit data, `"kind": "build"` crates (build scripts' and proc
macros' dependencies) ran on the build machine and are not in the binary: left out, as syft does.
Neither source carries licenses.
"""

from __future__ import annotations

import io
import tomllib
import zlib

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.model import CARGO, Package
from dockopt.safeload import load_json

SECTION = ".dep-v0"
MIN_BINARY = 1 << 10
MAX_BINARY = 64 << 20
MAX_AUDIT_JSON = 8 << 20
MAX_LOCK = 8 << 20
_REGISTRY_SOURCES = ("crates.io", "registry")


def audit_data(binary: bytes) -> bytes | None:
    """The decompressed `.dep-v0` section of an ELF binary, or None when it has none."""
    if not binary.startswith(b"\x7fELF") or SECTION.encode() not in binary:
        return None
    from elftools.elf.elffile import ELFFile

    section = ELFFile(io.BytesIO(binary)).get_section_by_name(SECTION)
    if section is None:
        return None
    inflater = zlib.decompressobj()
    text = inflater.decompress(section.data(), MAX_AUDIT_JSON)
    if inflater.unconsumed_tail:
        raise ValueError(f"{SECTION} holds more than {MAX_AUDIT_JSON} bytes of JSON")
    return text


def audit_packages(doc: object) -> list[tuple[str, str]]:
    packages = doc.get("packages") if isinstance(doc, dict) else None
    out = []
    for p in packages if isinstance(packages, list) else []:
        if (isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("version"), str)
                and p.get("source") in _REGISTRY_SOURCES and p.get("kind", "runtime") != "build"):
            out.append((p["name"], p["version"]))
    return out


def lock_packages(text: str) -> list[tuple[str, str]]:
    doc = tomllib.loads(text)
    out = []
    for p in doc.get("package") or []:
        source = p.get("source") if isinstance(p, dict) else None
        if (isinstance(source, str) and source.startswith(("registry+", "sparse+"))
                and isinstance(p.get("name"), str) and isinstance(p.get("version"), str)):
            out.append((p["name"], p["version"]))
    return out


class CargoCataloger(Cataloger):
    name = "cargo"
    basenames = frozenset({"Cargo.lock"})
    executables = True

    def wants(self, path, entry):
        if path.endswith("/Cargo.lock"):
            return min(entry.size, MAX_LOCK)
        return min(entry.size, MAX_BINARY) if entry.size >= MIN_BINARY else 0

    def extract(self, path, data):
        if path.endswith("/Cargo.lock"):
            return lock_packages(data.decode("utf-8", "replace"))
        text = audit_data(data)
        return audit_packages(load_json(text, f"{path} {SECTION}", max_bytes=MAX_AUDIT_JSON)) if text else None

    def build(self, ctx: Context) -> list[Package]:
        return [Package(name=name, version=version, type=CARGO, purl=PackageURL("cargo", None, name, version).to_string(),
                        locations=((f.diff_id, f.path),))
                for f in ctx.surviving(self.name) for name, version in f.value]
