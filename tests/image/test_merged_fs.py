"""The merged filesystem and the waste arithmetic on archives built here, with no engine:
opaque directories, whiteouts (of a file, of a directory, then re-creation), the same path
twice in one layer, files and directories replacing each other. Every figure is exact, and
total = final + wasted holds to the byte."""

from __future__ import annotations

import io
import tarfile

import pytest

from dockopt.image.filesystem import HiddenVersion, LayerChanges, MergedFilesystem
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.reference import open_source
from dockopt.image.scan import scan_image
from dockopt.inspect.waste import compute_waste
from tests.image.test_hostile import docker_archive


def layer_tar(members: list[tuple[str, bytes | None]]) -> bytes:
    """members: (name, content); None makes a directory. Names starting `.wh.` are whiteouts."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


LAYERS = [
    # 0: the base
    [("etc", None), ("etc/a", b"a" * 100), ("d", None), ("d/x", b"x" * 10), ("d/sub", None),
     ("d/sub/y", b"yyy"), ("keep", b"k" * 7)],
    # 1: delete a file; make /d opaque (hides x and sub/y) and add /d/new in the same layer
    [("etc/.wh.a", b""), ("d", None), ("d/.wh..wh..opq", b""), ("d/new", b"nnnn")],
    # 2: the same path twice in one tar (the last wins); replace /keep
    [("twice", b"t" * 5), ("twice", b"T" * 8), ("keep", b"K" * 9)],
    # 3: whiteout of a directory, then the directory re-created in the same layer
    [("d", None), ("d/again", b"ag"), (".wh.d", b"")],
    # 4: a later file in the re-created directory; a whiteout of something that never existed
    [("d/late", b"L"), (".wh.ghost", b"")],
]


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    path = tmp_path_factory.mktemp("merged") / "image.tar"
    docker_archive(path, [layer_tar(members) for members in LAYERS])
    return scan_image(open_source(f"docker-archive:{path}"))


def test_final_filesystem(scanned):
    files = {path: node.entry.size for path, node in scanned.fs.files()}
    assert files == {"/keep": 9, "/twice": 8, "/d/again": 2, "/d/late": 1}
    assert scanned.fs.get("/twice").layer == 2
    assert scanned.fs.get("/d").entry.type is EntryType.DIR and scanned.fs.get("/d").layer == 3
    assert scanned.fs.get("/etc").entry.type is EntryType.DIR
    for gone in ("/etc/a", "/d/x", "/d/sub", "/d/sub/y", "/d/new", "/ghost"):
        assert scanned.fs.get(gone) is None, gone
    assert scanned.fs.children["/d"] == {"/d/again", "/d/late"}
    assert scanned.fs.total_file_bytes == 20


def test_every_hidden_version(scanned):
    assert sorted(scanned.fs.hidden, key=lambda h: (h.added_in, h.path)) == [
        HiddenVersion("/d/sub/y", 3, 0, 1, "deleted"),
        HiddenVersion("/d/x", 10, 0, 1, "deleted"),
        HiddenVersion("/etc/a", 100, 0, 1, "deleted"),
        HiddenVersion("/keep", 7, 0, 2, "replaced"),
        HiddenVersion("/d/new", 4, 1, 3, "deleted"),
        HiddenVersion("/twice", 5, 2, 2, "replaced"),
    ]


def test_per_layer_changes(scanned):
    assert [scan.changes for scan in scanned.layers] == [
        LayerChanges(added_files=4, added_bytes=120),
        LayerChanges(added_files=1, added_bytes=4, removed_files=3, removed_bytes=113),
        LayerChanges(added_files=1, added_bytes=8, modified_files=1, modified_bytes=9),
        LayerChanges(added_files=1, added_bytes=2, removed_files=1, removed_bytes=4),
        LayerChanges(added_files=1, added_bytes=1),
    ]
    assert [scan.file_count for scan in scanned.layers] == [4, 1, 3, 1, 1]
    assert [scan.file_bytes for scan in scanned.layers] == [120, 4, 22, 2, 1]


def test_waste_arithmetic_is_exact(scanned):
    waste = compute_waste(scanned, base_layers=2, top=3)
    assert (waste.total_bytes, waste.final_bytes, waste.wasted_bytes) == (149, 20, 129)
    assert waste.total_bytes == waste.final_bytes + waste.wasted_bytes
    assert waste.efficiency == 20 / 149
    # User layers are 2..4: 22 + 2 + 1 bytes, of which the first /twice (5) is waste.
    assert (waste.user_bytes, waste.user_wasted_bytes) == (25, 5)
    assert waste.user_wasted_ratio == 5 / 25
    # Base bytes the user's layers hide, which still ship: /keep (7, layer 0) and /d/new (4, layer 1).
    assert waste.base_bytes_hidden_by_user == 11
    assert [(h.path, h.size) for h in waste.top] == [("/etc/a", 100), ("/d/x", 10), ("/keep", 7)]
    assert [(lw.index, lw.files, lw.bytes, lw.wasted_bytes, lw.from_base) for lw in waste.layers] == [
        (0, 4, 120, 120, True), (1, 1, 4, 4, True), (2, 3, 22, 5, False), (3, 1, 2, 0, False),
        (4, 1, 1, 0, False)]
    assert [(lw.added_bytes, lw.modified_bytes, lw.removed_bytes) for lw in waste.layers] == [
        (120, 0, 0), (4, 0, 113), (8, 9, 0), (2, 0, 4), (1, 0, 0)]
    assert [lw.created_by for lw in waste.layers] == [f"step {i}" for i in range(5)]
    assert waste.base_layers == 2


def test_waste_with_no_base_and_default_top(scanned):
    waste = compute_waste(scanned, base_layers=0)
    assert (waste.user_bytes, waste.user_wasted_bytes, waste.base_bytes_hidden_by_user) == (149, 129, 0)
    assert len(waste.top) == 6 and waste.top[-1].path == "/d/sub/y"
    everything_base = compute_waste(scanned, base_layers=5)
    assert (everything_base.user_bytes, everything_base.user_wasted_bytes, everything_base.user_wasted_ratio) == (0, 0, 0.0)
    assert everything_base.base_bytes_hidden_by_user == 0


def test_waste_of_an_empty_image(tmp_path):
    path = docker_archive(tmp_path / "empty.tar", [layer_tar([("d", None)])])
    waste = compute_waste(scan_image(open_source(f"docker-archive:{path}")), base_layers=0)
    assert (waste.total_bytes, waste.final_bytes, waste.wasted_bytes, waste.efficiency) == (0, 0, 0, 1.0)
    assert waste.user_wasted_ratio == 0.0 and waste.top == []


def test_zero_byte_hidden_versions_are_not_in_top(tmp_path):
    path = docker_archive(tmp_path / "z.tar", [layer_tar([("empty", b""), ("full", b"abc"), ("one", b"1")]),
                                               layer_tar([(".wh.empty", b""), (".wh.full", b""), (".wh.one", b"")])])
    waste = compute_waste(scan_image(open_source(f"docker-archive:{path}")), base_layers=0)
    assert waste.wasted_bytes == 4 and [h.path for h in waste.top] == ["/full", "/one"]


def test_ties_in_top_are_ordered_by_path_then_layer():
    fs = MergedFilesystem()
    fs.apply_layer(0, [FileEntry("/b", EntryType.FILE, 4), FileEntry("/a", EntryType.FILE, 4)])
    fs.apply_layer(1, [FileEntry("/b", EntryType.FILE, 1), FileEntry("/a", EntryType.FILE, 4)])
    fs.apply_layer(2, [FileEntry("/a", EntryType.FILE, 2)])
    assert sorted(fs.hidden, key=lambda h: (-h.size, h.path, h.added_in)) == [
        HiddenVersion("/a", 4, 0, 1, "replaced"), HiddenVersion("/a", 4, 1, 2, "replaced"),
        HiddenVersion("/b", 4, 0, 1, "replaced")]


# --- the merged filesystem alone, on entries -------------------------------------------------

def F(path: str, size: int = 0) -> FileEntry:
    return FileEntry(path, EntryType.FILE, size)


def D(path: str) -> FileEntry:
    return FileEntry(path, EntryType.DIR)


def test_file_and_directory_replacing_each_other():
    fs = MergedFilesystem()
    fs.apply_layer(0, [F("/x", 5), D("/y"), F("/y/f", 6), D("/y/z"), F("/y/z/g", 7)])
    changes = fs.apply_layer(1, [D("/x"), F("/x/g", 1), F("/y", 2)])
    assert sorted(fs.hidden, key=lambda h: h.path) == [
        HiddenVersion("/x", 5, 0, 1, "dir-replaced"), HiddenVersion("/y/f", 6, 0, 1, "dir-replaced"),
        HiddenVersion("/y/z/g", 7, 0, 1, "dir-replaced")]
    # Neither counts as a deletion: the paths are still there, as something else.
    assert changes == LayerChanges(added_files=1, added_bytes=1, modified_files=1, modified_bytes=2)
    assert {p: n.entry.type for p, n in fs.nodes.items()} == {"/x": EntryType.DIR, "/x/g": EntryType.FILE,
                                                              "/y": EntryType.FILE}
    assert fs.children.get("/y") is None and fs.children["/x"] == {"/x/g"}
    assert fs.children["/"] == {"/x", "/y"}


def test_directory_over_directory_keeps_its_content():
    fs = MergedFilesystem()
    fs.apply_layer(0, [D("/d"), F("/d/a", 3)])
    changes = fs.apply_layer(1, [FileEntry("/d", EntryType.DIR, mode=0o700)])
    assert changes == LayerChanges()
    assert fs.get("/d").layer == 1 and fs.get("/d").entry.mode == 0o700
    assert fs.get("/d/a").layer == 0 and fs.hidden == []


def test_symlink_replacing_a_file_is_a_replacement_not_an_addition():
    fs = MergedFilesystem()
    fs.apply_layer(0, [F("/l", 4)])
    changes = fs.apply_layer(1, [FileEntry("/l", EntryType.SYMLINK, link_target="/x")])
    assert fs.hidden == [HiddenVersion("/l", 4, 0, 1, "replaced")]
    assert changes == LayerChanges()
    assert fs.total_file_bytes == 0


def test_whiteout_of_a_nested_directory_drops_only_that_subtree():
    fs = MergedFilesystem()
    fs.apply_layer(0, [F("/a/b/c/f", 1), F("/a/b/g", 2), F("/a/h", 4)])
    changes = fs.apply_layer(1, [FileEntry("/a/b", EntryType.WHITEOUT)])
    assert sorted((h.path, h.how) for h in fs.hidden) == [("/a/b/c/f", "deleted"), ("/a/b/g", "deleted")]
    assert changes == LayerChanges(removed_files=2, removed_bytes=3)
    assert set(fs.nodes) == {"/a/h"} and fs.children["/a"] == {"/a/h"}
    assert "/a/b" not in fs.children and "/a/b/c" not in fs.children


def test_opaque_directory_keeps_the_directory_and_the_layers_own_additions():
    fs = MergedFilesystem()
    fs.apply_layer(0, [D("/o"), F("/o/old", 5), D("/o/s"), F("/o/s/deep", 6), F("/other", 1)])
    changes = fs.apply_layer(1, [F("/o/new", 2), FileEntry("/o", EntryType.OPAQUE)])
    assert changes == LayerChanges(added_files=1, added_bytes=2, removed_files=2, removed_bytes=11)
    assert set(fs.nodes) == {"/o", "/o/new", "/other"}
    assert fs.get("/o").layer == 0
    assert fs.children["/o"] == {"/o/new"}
    # A later whiteout of the new file finds it.
    fs.apply_layer(2, [FileEntry("/o/new", EntryType.WHITEOUT)])
    assert fs.children["/o"] == set() and fs.get("/o/new") is None


def test_the_same_path_three_times_in_one_layer():
    fs = MergedFilesystem()
    changes = fs.apply_layer(0, [F("/p", 1), F("/p", 2), F("/p", 3)])
    assert fs.hidden == [HiddenVersion("/p", 1, 0, 0, "replaced"), HiddenVersion("/p", 2, 0, 0, "replaced")]
    assert changes == LayerChanges(added_files=1, added_bytes=3)
    assert fs.get("/p").entry.size == 3


def test_the_same_path_twice_first_a_directory_then_a_file():
    fs = MergedFilesystem()
    fs.apply_layer(0, [D("/q"), F("/q", 4)])
    assert fs.hidden == [] and fs.get("/q").entry.type is EntryType.FILE


def test_whiteout_of_the_root_level_file_and_recreation_in_a_later_layer():
    fs = MergedFilesystem()
    fs.apply_layer(0, [F("/r", 3)])
    fs.apply_layer(1, [FileEntry("/r", EntryType.WHITEOUT)])
    changes = fs.apply_layer(2, [F("/r", 8)])
    assert changes == LayerChanges(added_files=1, added_bytes=8)
    assert fs.get("/r").layer == 2 and fs.hidden == [HiddenVersion("/r", 3, 0, 1, "deleted")]
    assert [c.removed_bytes for c in fs.changes] == [0, 3, 0]


def test_whiteout_of_a_directory_known_only_by_its_children():
    fs = MergedFilesystem()
    fs.apply_layer(0, [F("/implicit/f", 5)])
    assert fs.get("/implicit") is None and fs.children["/implicit"] == {"/implicit/f"}
    changes = fs.apply_layer(1, [FileEntry("/implicit", EntryType.WHITEOUT)])
    assert changes.removed_bytes == 5 and fs.nodes == {}
    assert fs.children.get("/", set()) == set()
