"""Go modules from the build info the Go linker embeds in binaries (`.go.buildinfo`).

Go binaries have no telling name, so every executable file big enough to be one is offered;
the content is searched for the build-info magic and dropped at once. Go >= 1.18 stores the
version and module strings inline (varint-prefixed); older binaries store pointers, which are
resolved through the ELF program headers with pyelftools.
"""

from __future__ import annotations

import io

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.model import GO, Package

MAGIC = b"\xff Go buildinf:"
MIN_SIZE = 256 << 10
MAX_BINARY = 64 << 20  # the scan's per-entry bound; buildinfo sits early in the data segment


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def read_buildinfo(data: bytes) -> tuple[str, str] | None:
    """(go version, module info text) of an ELF Go binary, or None."""
    if not data.startswith(b"\x7fELF"):
        return None
    at = data.find(MAGIC)
    while at >= 0 and at % 16:
        at = data.find(MAGIC, at + 1)
    if at < 0 or at + 32 > len(data):
        return None
    ptr_size, flags = data[at + 14], data[at + 15]
    if flags & 0x2:  # inline strings (Go 1.18+)
        n, pos = _varint(data, at + 32)
        version = data[pos:pos + n].decode("utf-8", "replace")
        n, pos = _varint(data, pos + n)
        mod = data[pos:pos + n]
    else:
        pair = _pointer_strings(data, at, ptr_size, big_endian=bool(flags & 0x1))
        if pair is None:
            return None
        version, mod = pair[0], pair[1].encode()
    if len(mod) >= 33 and mod[-17:-16] == b"\n":  # strip the 16-byte sentinels around the text
        mod = mod[16:-16]
    return version, mod.decode("utf-8", "replace")


def _pointer_strings(data: bytes, at: int, ptr_size: int, big_endian: bool) -> tuple[str, str] | None:
    from elftools.elf.elffile import ELFFile

    order = "big" if big_endian else "little"
    elf = ELFFile(io.BytesIO(data))

    def read(addr: int, size: int) -> bytes | None:
        for seg in elf.iter_segments():
            if seg["p_type"] == "PT_LOAD" and seg["p_vaddr"] <= addr < seg["p_vaddr"] + seg["p_filesz"]:
                off = seg["p_offset"] + addr - seg["p_vaddr"]
                return data[off:off + size]
        return None

    def string_at(ptr: int) -> str | None:
        header = read(ptr, 2 * ptr_size)
        if header is None or len(header) < 2 * ptr_size:
            return None
        addr = int.from_bytes(header[:ptr_size], order)
        length = int.from_bytes(header[ptr_size:], order)
        raw = read(addr, length) if 0 < length < (1 << 20) else b""
        return raw.decode("utf-8", "replace") if raw is not None else None

    v_ptr = int.from_bytes(data[at + 16:at + 16 + ptr_size], order)
    m_ptr = int.from_bytes(data[at + 16 + ptr_size:at + 16 + 2 * ptr_size], order)
    version, mod = string_at(v_ptr), string_at(m_ptr)
    if not version:
        return None
    return version, (mod or "")


def parse_modinfo(text: str) -> list[tuple[str, str, str]]:
    """(kind, path, version) for the main module and each dependency (replacements applied)."""
    out: list[tuple[str, str, str]] = []
    for line in text.splitlines():
        parts = line.split("\t")
        if parts[0] in ("mod", "dep") and len(parts) >= 3:
            out.append((parts[0], parts[1], parts[2]))
        elif parts[0] == "=>" and len(parts) >= 3 and out:
            out[-1] = (out[-1][0], parts[1], parts[2])
    return out


class GoCataloger(Cataloger):
    name = "go"
    executables = True

    def wants(self, path, entry):
        return min(entry.size, MAX_BINARY) if entry.size >= MIN_SIZE else 0

    def extract(self, path, data):
        return read_buildinfo(data)

    def build(self, ctx: Context) -> list[Package]:
        out = []
        for f in ctx.surviving(self.name):
            go_version, modinfo = f.value
            loc = ((f.diff_id, f.path),)
            for kind, path, version in parse_modinfo(modinfo):
                out.append(Package(name=path, version=version, type=GO,
                                   purl=PackageURL("golang", None, path, version).to_string(), locations=loc))
            if go_version.startswith("go"):
                out.append(Package(name="stdlib", version=go_version, type=GO,
                                   purl=PackageURL("golang", None, "stdlib", go_version).to_string(), locations=loc))
        return out
