"""Exact results of reading one layer blob: the compression found by magic bytes, both
digests, the entry count, and the member-size limit at its edge."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile

import pytest

from dockopt.errors import ImageFormatError
from dockopt.image.tarstream import MAX_MEMBER_SIZE, read_layer_blob, read_layer_region

try:
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[no-redef]


def small_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in [("a", b"hello"), ("b/c", b"x" * 600)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("compression", ["none", "gzip", "zstd"])
def test_compression_and_digests(compression):
    tar = small_tar()
    stored = {"none": tar, "gzip": gzip.compress(tar), "zstd": zstd.compress(tar)}[compression]
    seen: list[tuple[str, bytes]] = []
    result = read_layer_blob(io.BytesIO(stored), "0", lambda e: 3, lambda e, data: seen.append((e.path, data)))
    assert (result.compression, result.entries, result.blob_size) == (compression, 2, len(stored))
    assert result.diff_id == sha(tar)
    assert result.blob_digest == sha(stored)
    assert seen == [("/a", b"hel"), ("/b/c", b"xxx")]


def test_a_stored_digest_given_by_the_caller_is_reported():
    class Known:
        def hexdigest(self) -> str:
            return "ab" * 32

        def close(self) -> None:
            pass

    tar = small_tar()
    result = read_layer_blob(io.BytesIO(gzip.compress(tar)), "0", lambda e: 0, stored_digest=Known())
    assert result.blob_digest == "sha256:" + "ab" * 32 and result.diff_id == sha(tar)


def claiming(size: int) -> bytes:
    info = tarfile.TarInfo("big")
    info.size = size
    return info.tobuf(format=tarfile.PAX_FORMAT) + b"\0" * 1024


def test_member_size_limit_at_its_edge():
    assert MAX_MEMBER_SIZE == 1 << 40
    with pytest.raises(ImageFormatError) as info:
        read_layer_blob(io.BytesIO(claiming(MAX_MEMBER_SIZE + 1)), "0", lambda e: 0)
    assert str(info.value) == f"layer 0: member /big claims an impossible size ({MAX_MEMBER_SIZE + 1} bytes)"
    # Exactly the limit is a size a member may have: this one fails only because its data is missing.
    seen = []
    with pytest.raises(ImageFormatError) as info:
        read_layer_blob(io.BytesIO(claiming(MAX_MEMBER_SIZE)), "0", lambda e: seen.append(e.size) or 0)
    assert seen == [MAX_MEMBER_SIZE]
    assert "impossible size" not in str(info.value)


def test_a_tar_ending_right_after_its_last_members_data_is_whole():
    tar = small_tar()
    whole = tar[:512 + 512 + 512 + 1024]   # a, its data block, b/c, its two data blocks: no end marker
    entries = []
    result = read_layer_blob(io.BytesIO(whole), "0", lambda e: entries.append(e.path) or 0)
    assert entries == ["/a", "/b/c"] and result.entries == 2
    with pytest.raises(ImageFormatError) as info:
        read_layer_blob(io.BytesIO(whole[:-1]), "0", lambda e: 0)   # one byte of the last data missing
    assert str(info.value) == "layer 0: unexpected end of layer data (truncated stream)"


def tar_of(files: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("wanted", [1, 2**20 - 1, 2**20, 2**20 + 7, 2**20 + 8, 10**9])
def test_content_prefix_is_exactly_what_was_asked_up_to_the_file(wanted):
    big = bytes(range(256)) * (2**20 // 256) + b"tail-123"   # one chunk and 8 bytes
    data = tar_of([("big", big), ("small", b"abc")])
    got = {}
    for how in ("stream", "region"):
        got.clear()
        if how == "stream":
            read_layer_blob(io.BytesIO(data), "0", lambda e: wanted, lambda e, d: got.__setitem__(e.path, d))
        else:
            import tempfile
            with tempfile.TemporaryFile() as f:
                f.write(b"P" * 100 + data)
                f.flush()
                reported = []
                read_layer_region(f.fileno(), 100, len(data), Known(), "0", lambda e: wanted,
                                  lambda e, d: got.__setitem__(e.path, d), reported.append)
                assert sum(reported) == len(data)
        assert got["/big"] == big[:wanted], how
        assert got["/small"] == b"abc"[:wanted], how


class Known:
    def hexdigest(self) -> str:
        return "cd" * 32

    def close(self) -> None:
        pass


def test_bytes_reported_add_up_to_the_stored_blob():
    tar = small_tar()
    for stored in (tar, gzip.compress(tar)):
        reported: list[int] = []
        read_layer_blob(io.BytesIO(stored), "0", lambda e: 0, on_bytes=reported.append)
        assert sum(reported) == len(stored)


@pytest.mark.parametrize("stored,message", [
    (gzip.compress(small_tar())[:40], "layer 0: corrupt layer stream: truncated (Compressed file ended before the "
                                      "end-of-stream marker was reached)"),
    (b"\x1f\x8b" + b"\0" * 30, "layer 0: corrupt layer stream: Unknown compression method"),
])
def test_corrupt_streams_are_named(stored, message):
    with pytest.raises(ImageFormatError) as info:
        read_layer_blob(io.BytesIO(stored), "0", lambda e: 0)
    assert str(info.value) == message
