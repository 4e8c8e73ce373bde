"""The layer walk reads plain header blocks itself and hands everything else to tarfile. Whatever
the archive, whole, cut short or damaged, it must give what tarfile gives: the same entries with
the same content, or an error where tarfile fails. Both ways of reading a layer are checked: as a
stream (the engine's save, compressed blobs) and by seeking in a file (uncompressed blobs)."""

from __future__ import annotations

import io
import os
import random
import subprocess
import tarfile
from pathlib import Path

import pytest

from dockopt.errors import ImageFormatError
from dockopt.image.model import EntryType
from dockopt.image.tarstream import _entry_from, read_layer_blob, read_layer_region
from tests.image.test_fast_header import make_tree

WANT = 700  # content bytes asked of every file: more than a block, less than some files


class NoDigest:
    def hexdigest(self) -> str:
        return "-"

    def close(self) -> None:
        pass


def oracle(data: bytes):
    """What tarfile itself reads from `data`: entries and content prefixes, or "error"."""
    out = []
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                entry = _entry_from(member, "L")
                content = None
                if entry.type is EntryType.FILE:  # not whiteouts: they carry no content
                    handle = tar.extractfile(member)
                    assert handle is not None
                    content = handle.read(min(WANT, member.size))
                    if len(content) < min(WANT, member.size):
                        return "error"
                out.append((entry, content))
    except (tarfile.TarError, ImageFormatError, EOFError, ValueError):  # as read_layer_* catch them
        return "error"
    return out


def walked(data: bytes, how: str, tmp_path: Path):
    out: list = []

    def on_entry(entry):
        out.append((entry, None))
        return WANT

    def on_content(entry, content):
        assert out[-1][0] is entry
        out[-1] = (entry, content)

    try:
        if how == "stream":
            read_layer_blob(io.BytesIO(data), "L", on_entry, on_content).close()
        else:
            path = tmp_path / "layer.bin"
            path.write_bytes(b"J" * 777 + data + b"K" * 333)  # the layer sits inside a larger file
            with open(path, "rb") as fh:
                result = read_layer_region(fh.fileno(), 777, len(data), NoDigest(), "L", on_entry, on_content)
            assert result.entries == len(out)
    except ImageFormatError:
        return "error"
    return out


def gnu_tar(tmp_path: Path, fmt: str) -> bytes:
    root = tmp_path / f"root-{fmt}"
    root.mkdir()
    make_tree(root)
    for i in range(12):
        (root / f"f{i}").write_bytes(os.urandom(i * 300))
    (root / ".wh.gone").write_bytes(b"")
    (root / "dir/.wh..wh..opq").write_bytes(b"")
    archive = tmp_path / f"{fmt}.tar"
    what = ["dir", "link", "fifo", "null", "segment0000000000", *(f"f{i}" for i in range(12)), ".wh.gone"] \
        if fmt in ("ustar", "v7") else ["."]
    if fmt == "v7":
        what = [w for w in what if w not in ("fifo", "null", "segment0000000000")]
    sparse = ["--sparse"] if fmt in ("gnu", "pax", "oldgnu") else []
    proc = subprocess.run(["tar", f"--format={fmt}", *sparse, "-C", str(root), "-cf", str(archive), *what],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return archive.read_bytes()


def python_tar(fmt: int) -> bytes:
    """tarfile's writer: a pax header for every member with a non-ASCII name or a long link."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for i, name in enumerate(["plain", "ünïcode/file", "d/" + "n" * 130, "e"]):
            data = os.urandom(i * 400 + 10)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000.5
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("sym")
        info.type, info.linkname = tarfile.SYMTYPE, "l" * 140
        tar.addfile(info)
    return buf.getvalue()


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("walk")
    found = {f"gnu-tar-{fmt}": gnu_tar(tmp, fmt) for fmt in ("gnu", "pax", "oldgnu", "ustar", "v7")}
    found["python-pax"] = python_tar(tarfile.PAX_FORMAT)
    found["python-gnu"] = python_tar(tarfile.GNU_FORMAT)
    return found


@pytest.mark.parametrize("how", ["stream", "seek"])
def test_whole_archives_read_as_tarfile_reads_them(archives, how, tmp_path):
    for name, data in archives.items():
        expected = oracle(data)
        assert expected != "error" and len(expected) >= 5, name
        assert walked(data, how, tmp_path) == expected, name


@pytest.mark.parametrize("how", ["stream", "seek"])
def test_cut_and_damaged_archives_agree_with_tarfile(archives, how, tmp_path):
    rng = random.Random(7)
    checked = errors = 0
    for name, data in archives.items():
        cuts = sorted({*range(0, len(data), 512), *(rng.randrange(len(data)) for _ in range(25))})
        variants = [data[:cut] for cut in cuts]
        variants += [data.rstrip(b"\0"), data + os.urandom(300), data[:1024] + b"\0" * 512 + data[1024:]]
        for _ in range(25):  # one damaged byte: a header field, a checksum, or file data
            spot = rng.randrange(len(data))
            variants.append(data[:spot] + bytes([data[spot] ^ 0x5A]) + data[spot + 1:])
        for variant in variants:
            expected = oracle(variant)
            got = walked(variant, how, tmp_path)
            assert got == expected, (name, len(variant))
            checked += 1
            errors += expected == "error"
    assert checked > 500 and errors > 50  # both outcomes were exercised
