"""The fast tar header path gives exactly what tarfile's own parser gives, on archives made by
GNU tar (the oracle for real layers) in every format it writes."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from dockopt.image.tarheader import FastTarInfo

FIELDS = ("name", "size", "mode", "uid", "gid", "mtime", "type", "linkname", "uname", "gname",
          "devmajor", "devminor", "offset_data", "sparse")


def make_tree(root: Path) -> None:
    (root / "dir/sub").mkdir(parents=True)
    (root / "dir/file.txt").write_text("hello\n")
    (root / ("x" * 120)).write_text("long name\n")
    deep = root / "/".join(["segment" + str(i) * 10 for i in range(6)])
    deep.mkdir(parents=True)
    (deep / "inside.bin").write_bytes(os.urandom(3000))
    os.symlink("dir/file.txt", root / "link")
    os.symlink("/" + "t" * 150, root / "longlink")
    os.link(root / "dir/file.txt", root / "dir/hard")
    os.chmod(root / "dir/file.txt", 0o4755)
    os.chown(root / "dir/sub", 1234, 5678)
    os.utime(root / "dir/file.txt", (1_600_000_000, 1_600_000_000))
    os.mkfifo(root / "fifo")
    os.mknod(root / "null", 0o20644, os.makedev(1, 3))
    with open(root / "sparse", "wb") as fh:
        fh.seek(1 << 20)
        fh.write(b"end")


def members(path: Path, tarinfo) -> list[tuple]:
    with tarfile.open(path, tarinfo=tarinfo) as tar:
        return [tuple(getattr(m, f) for f in FIELDS) for m in tar.getmembers()]


@pytest.mark.parametrize("fmt", ["gnu", "pax", "oldgnu", "ustar"])
def test_same_members_as_tarfile(tmp_path, fmt):
    root = tmp_path / "root"
    root.mkdir()
    make_tree(root)
    archive = tmp_path / f"{fmt}.tar"
    # ustar holds names up to 255 bytes through its prefix field, no long link targets, no sparse
    what = ["dir", "link", "fifo", "null", "segment0000000000"] if fmt == "ustar" else ["."]
    sparse = [] if fmt == "ustar" else ["--sparse"]
    proc = subprocess.run(["tar", f"--format={fmt}", *sparse, "-C", str(root), "-cf", str(archive), *what],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    ours, theirs = members(archive, FastTarInfo), members(archive, tarfile.TarInfo)
    assert ours == theirs
    assert len(ours) >= 8
