"""The byte plumbing under the layer walk: digests of file ranges computed apart (in a helper
process, or in threads when no helper can start), the chunk stream the engine's save arrives
as, and the header checksum."""

from __future__ import annotations

import hashlib
import os
import random
import sys

from dockopt.image.regionhash import Region, RegionHashes
from dockopt.image.scan import StreamFromChunks
from dockopt.image.tarheader import _byte_sum


def ranges(data: bytes) -> list[tuple[int, int]]:
    return [(0, len(data)), (0, 0), (1, 1000), (4095, 3 << 20), (len(data) - 10, 10), (777, 5 << 20)]


def check_hashes(tmp_path, helper: bool) -> None:
    data = os.urandom(9 << 20)
    path = tmp_path / "blob"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    other = os.open(path, os.O_RDONLY)
    regions = [Region(fd if i % 2 else other, offset, size) for i, (offset, size) in enumerate(ranges(data))]
    regions.append(Region(fd, len(data) - 5, 100))  # runs past the end of the file
    hashes = RegionHashes(regions)
    assert (hashes._proc is not None) == helper
    # The caller may close its descriptors at once: the digests are computed from copies.
    os.close(fd)
    os.close(other)
    try:
        for i, (offset, size) in enumerate(ranges(data)):
            assert hashes.digest(i) == hashlib.sha256(data[offset:offset + size]).hexdigest()
        assert hashes.digest(len(regions) - 1) is None
    finally:
        hashes.close()


def test_region_digests_from_the_helper_process(tmp_path):
    check_hashes(tmp_path, helper=True)


def test_region_digests_in_threads_when_no_helper_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    check_hashes(tmp_path, helper=False)


def test_closing_early_stops_the_helper(tmp_path):
    path = tmp_path / "blob"
    path.write_bytes(os.urandom(64 << 20))
    with open(path, "rb") as fh:
        hashes = RegionHashes([Region(fh.fileno(), 0, 64 << 20)] * 4)
    helper = hashes._proc
    hashes.close()  # long before 256 MiB are hashed: the helper is killed, not waited for
    assert helper is not None and helper.returncode is not None and helper.returncode < 0


def test_digests_survive_a_killed_helper(tmp_path):
    """If the helper process dies (the OOM killer, a sandbox), the digests it had not given are
    computed in this process, from its own copies of the descriptors."""
    data = os.urandom(32 << 20)
    path = tmp_path / "blob"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        regions = [Region(fh.fileno(), i << 20, 8 << 20) for i in range(0, 24, 4)]
        hashes = RegionHashes(regions)
    assert hashes._proc is not None
    hashes._proc.kill()
    try:
        for i, region in enumerate(regions):
            assert hashes.digest(i) == hashlib.sha256(data[region.offset:region.offset + region.size]).hexdigest()
    finally:
        hashes.close()


def test_chunk_stream_reads_exactly_what_was_sent():
    rng = random.Random(1)
    for _ in range(300):
        data = os.urandom(rng.randrange(0, 5000))
        cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randrange(0, 10))))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        stream, out = StreamFromChunks(iter(chunks)), b""
        while True:
            n = rng.choice([-1, 0, 1, 7, 512, 3000])
            got = stream.read(n)
            if n == -1:
                out += got
                break
            assert len(got) <= n
            if n > 0 and not got:
                break
            out += got
        assert out == data


def test_header_byte_sum_is_exact():
    for block in (bytes(512), b"\xff" * 512, *(os.urandom(512) for _ in range(50))):
        assert _byte_sum(block) == sum(block)


def test_region_digests_without_preadv(tmp_path, monkeypatch):
    """Platforms without preadv (macOS) read with pread instead."""
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    monkeypatch.delattr(os, "preadv")
    check_hashes(tmp_path, helper=False)
