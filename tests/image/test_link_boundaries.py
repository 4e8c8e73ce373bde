"""Link boundaries in a layer, at the exact edge: the reader's rule (`image/tarstream.py`) is that
a relative symlink may not climb above the image root from where it stands, an absolute symlink
target is resolved inside the root (so it is kept as written), and a hard link names a member
path, normalised like every member name: absolute or `..` is refused, and a target the layer
does not hold is kept as a zero-byte link (nothing is read through it).

Each case is read both by the walk's own header parser (plain ustar) and by tarfile (a pax
header forces it), since either may meet a member."""

from __future__ import annotations

import io
import tarfile

import pytest

from dockopt.errors import ImageFormatError
from dockopt.image.filesystem import MergedFilesystem
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.tarstream import read_layer_blob

FORMATS = ["plain", "pax"]


def layer(members: list[tuple[str, bytes, str | bytes]], fmt: str) -> bytes:
    """members: (name, tar type, content or link target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT if fmt == "pax" else tarfile.USTAR_FORMAT) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if fmt == "pax":
                info.pax_headers = {"comment": "forces an extended header"}
            if kind == tarfile.REGTYPE:
                assert isinstance(payload, bytes)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                info.linkname = payload  # type: ignore[assignment]
                tar.addfile(info)
    return buf.getvalue()


def read(data: bytes) -> list[FileEntry]:
    entries: list[FileEntry] = []
    read_layer_blob(io.BytesIO(data), "3", lambda e: entries.append(e) or 0)
    return entries


def sym(name: str, target: str) -> tuple[str, bytes, str]:
    return name, tarfile.SYMTYPE, target


def hard(name: str, target: str) -> tuple[str, bytes, str]:
    return name, tarfile.LNKTYPE, target


# (link path, target) pairs that climb above the root by exactly the amount shown.
SYMLINK_ESCAPES = [
    ("evil", "../etc/shadow"),               # one level, at the top of the layer
    ("evil", ".."),                          # the parent of the root itself
    ("evil", "../"),
    ("a/evil", "../../etc/shadow"),          # one level, from one directory down
    ("a/b/evil", "../../../x"),              # one level, from two directories down
    ("evil", "a/../../x"),                   # `..` only after normalisation: a, up, up
    ("evil", "./a/./../.././x"),
    ("a/evil", "b/../../../x"),
    ("evil", "a/b/../../../etc/shadow"),
    ("a/evil", "../x/../../y"),              # back inside, then out again
]

SYMLINK_INSIDE = [
    ("a/ok", "../etc/shadow"),               # from /a, one level up is the root: inside
    ("a/b/ok", "../../etc/shadow"),
    ("ok", "a/../x"),                        # climbs back to the root, not above
    ("ok", "./x"),
    ("ok", "."),
    ("a/ok", ".."),
    ("ok", "/etc/shadow"),                   # absolute: resolved inside the root
    ("ok", "/../../etc/shadow"),             # absolute with `..`: the root's parent is the root
    ("a/b/ok", "x/../../.."),                # ends exactly at the root
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path,target", SYMLINK_ESCAPES)
def test_symlink_climbing_above_the_root_is_refused(path, target, fmt):
    with pytest.raises(ImageFormatError) as info:
        read(layer([sym(path, target)], fmt))
    assert str(info.value) == f"layer 3: symlink /{path} -> {target} points outside the image root"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path,target", SYMLINK_INSIDE)
def test_symlink_staying_inside_is_kept_as_written(path, target, fmt):
    entries = read(layer([sym(path, target)], fmt))
    assert entries == [FileEntry(f"/{path}", EntryType.SYMLINK, 0, 0o644, 0, 0, target, 0)]


HARDLINK_REFUSED = [
    ("evil", "../etc/shadow", "member path escapes the image root: '../etc/shadow'"),
    ("a/evil", "../../x", "member path escapes the image root: '../../x'"),
    ("evil", "a/../../x", "member path escapes the image root: 'a/../../x'"),
    # A hard link names a member, which never contains `..`: refused even where it would land inside.
    ("evil", "a/../b", "member path escapes the image root: 'a/../b'"),
    ("evil", "/etc/shadow", "absolute member path '/etc/shadow'"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path,target,message", HARDLINK_REFUSED)
def test_hard_link_outside_or_with_dotdot_is_refused(path, target, message, fmt):
    with pytest.raises(ImageFormatError) as info:
        read(layer([hard(path, target)], fmt))
    assert str(info.value) == f"layer 3: {message}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_hard_link_to_an_absent_member_is_kept_as_an_empty_link(fmt):
    entries = read(layer([("etc/present", tarfile.REGTYPE, b"12345"), hard("bin/x", "./etc//absent"),
                          hard("bin/y", "etc/present")], fmt))
    assert entries[1:] == [FileEntry("/bin/x", EntryType.HARDLINK, 0, 0o644, 0, 0, "/etc/absent", 0),
                           FileEntry("/bin/y", EntryType.HARDLINK, 0, 0o644, 0, 0, "/etc/present", 0)]
    fs = MergedFilesystem()
    fs.apply_layer(0, entries)
    # The link stores no bytes of its own: only the real file counts.
    assert fs.total_file_bytes == 5
    assert fs.get("/bin/x").entry.link_target == "/etc/absent"


@pytest.mark.parametrize("fmt", FORMATS)
def test_member_names_are_normalised_and_escapes_refused(fmt):
    entries = read(layer([("./a//b/./c", tarfile.REGTYPE, b"x")], fmt))
    assert [e.path for e in entries] == ["/a/b/c"]
    for name, message in [("../x", "member path escapes the image root: '../x'"),
                          ("a/../../x", "member path escapes the image root: 'a/../../x'"),
                          ("a/../x", "member path escapes the image root: 'a/../x'")]:
        with pytest.raises(ImageFormatError) as info:
            read(layer([(name, tarfile.REGTYPE, b"x")], fmt))
        assert str(info.value) == f"layer 3: {message}"


def test_the_escape_is_found_after_harmless_members():
    data = layer([("a/file", tarfile.REGTYPE, b"abc"), sym("a/ok", "../b"), sym("zz", "../etc/shadow")], "plain")
    with pytest.raises(ImageFormatError, match=r"symlink /zz -> \.\./etc/shadow points outside"):
        read(data)


@pytest.mark.parametrize("name", ["d/.wh.", "d/.wh..", "d/.wh...", ".wh.."])
def test_whiteouts_of_nothing_dot_or_dotdot_are_refused(name):
    with pytest.raises(ImageFormatError) as info:
        read(layer([(name, tarfile.REGTYPE, b"")], "plain"))
    assert str(info.value) == f"layer 3: invalid whiteout /{name}"


def test_whiteout_and_opaque_markers_become_entries():
    entries = read(layer([("d/.wh.x", tarfile.REGTYPE, b""), ("d/.wh..wh..opq", tarfile.REGTYPE, b""),
                          ("d/a.wh.b", tarfile.REGTYPE, b"z")], "plain"))
    assert [(e.path, e.type) for e in entries] == [("/d/x", EntryType.WHITEOUT), ("/d", EntryType.OPAQUE),
                                                   ("/d/a.wh.b", EntryType.FILE)]
