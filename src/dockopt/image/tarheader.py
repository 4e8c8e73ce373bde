"""Reading one tar header block: tarfile's own parser with a fast path for the plain
ustar/GNU headers that make up nearly every layer member, and a reader of such a block that
gives the member's fields without building a TarInfo (`plain_member`). Whatever is not plain is
left to tarfile, so its rules and errors apply."""

from __future__ import annotations

import re
import tarfile
import zlib

from dockopt.image.model import EntryType

_SPECIAL_NUMBER = (0o200, 0o377)  # base-256 numeric fields


class FastTarInfo(tarfile.TarInfo):
    """tarfile's header parser, with a fast path for the plain ustar/GNU headers that make up
    nearly every layer. Anything unusual (base-256 numbers, signed checksums, old GNU sparse
    headers, bad fields) goes to tarfile's own parser, which also produces its errors."""

    @classmethod
    def frombuf(cls, buf, encoding, errors):  # type: ignore[override]
        if (len(buf) != tarfile.BLOCKSIZE or buf[156:157] == tarfile.GNUTYPE_SPARSE
                or any(buf[i] in _SPECIAL_NUMBER for i in (100, 108, 116, 124, 136, 148))):
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = int(buf[148:156].split(b"\0", 1)[0].strip() or b"0", 8)
            if chksum != 256 + _byte_sum(buf) - sum(buf[148:156]):
                return super().frombuf(buf, encoding, errors)
            obj = cls()
            obj.name = buf[0:100].split(b"\0", 1)[0].decode(encoding, errors)
            obj.mode = int(buf[100:108].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.uid = int(buf[108:116].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.gid = int(buf[116:124].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.size = int(buf[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
            obj.mtime = int(buf[136:148].split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError:
            return super().frombuf(buf, encoding, errors)
        obj.chksum = chksum
        obj.type = buf[156:157]
        obj.linkname = buf[157:257].split(b"\0", 1)[0].decode(encoding, errors)
        obj.uname = buf[265:297].split(b"\0", 1)[0].decode(encoding, errors)
        obj.gname = buf[297:329].split(b"\0", 1)[0].decode(encoding, errors)
        if obj.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
            return super().frombuf(buf, encoding, errors)  # device numbers: rare, keep exact
        prefix = buf[345:500].split(b"\0", 1)[0].decode(encoding, errors)
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = tarfile.DIRTYPE
        if obj.type == tarfile.DIRTYPE:
            obj.name = obj.name.rstrip("/")
        if prefix and obj.type not in tarfile.GNU_TYPES:
            obj.name = prefix + "/" + obj.name
        return obj


_PLAIN_TYPES = {tarfile.REGTYPE: EntryType.FILE, tarfile.AREGTYPE: EntryType.FILE, tarfile.CONTTYPE: EntryType.FILE,
                tarfile.DIRTYPE: EntryType.DIR, tarfile.SYMTYPE: EntryType.SYMLINK,
                tarfile.LNKTYPE: EntryType.HARDLINK, tarfile.FIFOTYPE: EntryType.OTHER}
"""Member types whose header block says everything (no extension headers, no device numbers)."""
ZERO_BLOCK = bytes(tarfile.BLOCKSIZE)
_ENCODING = tarfile.ENCODING


_CANONICAL_NUMBERS = re.compile(rb"([0-7]{7})\0([0-7]{7})\0([0-7]{7})\0([0-7]{11})\0([0-7]{11})\0([0-7]{6})\0 ")
"""mode, uid, gid, size, mtime and checksum, each zero-padded and NUL-terminated."""


def _byte_sum(block: bytes) -> int:
    """Sum of the 512 bytes of a header block. Adler-32's low half is 1 + the byte sum modulo
    65521, which is exact for 256 bytes (at most 65280): two C calls instead of a Python loop."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2


def _octal(field: bytes) -> int:
    return int(field.split(b"\0", 1)[0].strip() or b"0", 8)


_EIGHTS = (8,) * 6


def plain_member(buf: bytes) -> tuple[str, EntryType, int, int, int, int, int, str] | None:
    """(name, type, size, mode, uid, gid, mtime, linkname) of a header block that needs nothing
    but itself, read exactly as tarfile reads it; None for anything else (tarfile's to judge)."""
    if len(buf) != tarfile.BLOCKSIZE:
        return None
    kind = _PLAIN_TYPES.get(buf[156:157])
    if kind is None:
        return None
    canonical = _CANONICAL_NUMBERS.fullmatch(buf, 100, 156)
    try:
        if canonical is not None:  # what GNU tar, Go and Python write: one match reads them all
            mode, uid, gid, size, mtime, chksum = map(int, canonical.groups(), _EIGHTS)
        elif any(buf[i] in _SPECIAL_NUMBER for i in (100, 108, 116, 124, 136, 148)):
            return None
        else:
            mode, uid, gid = _octal(buf[100:108]), _octal(buf[108:116]), _octal(buf[116:124])
            size, mtime, chksum = _octal(buf[124:136]), _octal(buf[136:148]), _octal(buf[148:156])
    except ValueError:
        return None
    if chksum != 256 + _byte_sum(buf) - sum(buf[148:156]):
        return None
    name = buf[0:100].split(b"\0", 1)[0].decode(_ENCODING, "surrogateescape")
    if buf[345]:  # a ustar name prefix
        name = buf[345:500].split(b"\0", 1)[0].decode(_ENCODING, "surrogateescape") + "/" + name
    if buf[156:157] == tarfile.AREGTYPE and name.endswith("/"):
        kind = EntryType.DIR
    if kind is EntryType.DIR:
        name = name.rstrip("/")
    linkname = buf[157:257].split(b"\0", 1)[0].decode(_ENCODING, "surrogateescape") if buf[157] else ""
    return name, kind, size, mode, uid, gid, mtime, linkname
