"""Runtime detection on bytes written here: version-string shapes (as syft's classifier fixtures
show them), the ownership rule through a real pass over a hand-made archive, and hostile files
(huge, not ELF, truncated, full of anchors) that must cost bounded time and memory."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
from pathlib import Path

import pytest

from dockopt.catalog.catalog import catalog_image
from dockopt.catalog.core import CatalogVisitor
from dockopt.catalog.model import Package
from dockopt.catalog.runtime_rules import (MAX_BINARY, MAX_HITS, cpe23, find_redis, jvm_cpe_version, jvm_release,
                                           jvm_version, rules_for)
from dockopt.catalog.runtimes import RuntimeCataloger, os_owned
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.reference import open_source
from dockopt.image.scan import LayerRef
from dockopt.vuln.ecosystems import lookups
from tests.hostile import run_hostile
from tests.image.test_hostile import docker_archive, file_member, tar_bytes

ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57


def elf(*strings: bytes) -> bytes:
    """An ELF header followed by NUL-separated strings, as .rodata holds them."""
    return ELF + b"\x00junk\x00" + b"\x00".join(strings) + b"\x00tail\x00"


def detect(path: str, data: bytes) -> list[tuple[str, str]]:
    cataloger = RuntimeCataloger()
    entry = FileEntry(path, EntryType.FILE, len(data), 0o755)
    wanted = cataloger.wants(path, entry)
    if not wanted:
        return []
    found = cataloger.extract(path, data[:wanted]) or []
    return [(rule.runtime.name, version) for rule, version in found]


@pytest.mark.parametrize("path,data,expected", [
    ("/usr/local/bin/python3.12", elf(b"3.12", b"3.12.1"), ("python", "3.12.1")),
    ("/usr/local/lib/libpython3.13.so.1.0", elf(b"3.13.0rc2"), ("python", "3.13.0rc2")),
    ("/usr/local/lib/libpython3.11d.so", elf(b"3.11.4+"), ("python", "3.11.4+")),
    ("/usr/local/bin/node", elf(b"https://nodejs.org/download/release/node.js/v20.11.1"), ("node", "20.11.1")),
    ("/usr/lib/x86_64-linux-gnu/libnode.so.108", elf(b"node.js/v18.19.0"), ("node", "18.19.0")),
    ("/usr/local/go/bin/go", elf(b"go1.22.0"), ("go", "1.22.0")),
    ("/usr/local/go/bin/go", elf(b"go1.21rc2"), ("go", "1.21rc2")),
    ("/usr/local/bin/ruby", elf(b"ruby 3.3.0preview1 (2023-05-12 master a1b01e7701) [x86_64-linux]"),
     ("ruby", "3.3.0preview1")),
    ("/usr/local/lib/libruby.so.3.2.2", elf(b"ruby 3.2.2 (2023-03-30 revision e51014f9c0) [x86_64-linux]"),
     ("ruby", "3.2.2")),
    ("/usr/local/bin/php", elf(b"X-Powered-By: PHP/8.3.0RC3"), ("php", "8.3.0RC3")),
    ("/usr/local/sbin/php-fpm", elf(b"X-Powered-By: PHP/8.2.14"), ("php", "8.2.14")),
    ("/usr/local/lib/libphp.so", elf(b"X-Powered-By: PHP/8.1.27"), ("php", "8.1.27")),
    ("/usr/local/openresty/nginx/sbin/nginx", elf(b"nginx version: openresty/1.21.4.1"), ("nginx", "1.21.4")),
    ("/usr/sbin/nginx", elf(b"nginx version: nginx/1.25.1"), ("nginx", "1.25.1")),
    ("/usr/local/apache2/bin/httpd", elf(b"Apache/2.4.58 (Unix)"), ("httpd", "2.4.58")),
    ("/usr/local/bin/redis-server", elf(b"7.2.4buildkitsandbox-1706637473000000000"), ("redis", "7.2.4")),
    ("/usr/lib/postgresql/16/bin/postgres", elf(b"PostgreSQL 16.1 on x86_64-pc-linux-gnu"), ("postgresql", "16.1")),
    ("/usr/lib/postgresql/15/bin/postgres", elf(b"PostgreSQL 15beta4"), ("postgresql", "15beta4")),
    ("/bin/busybox", elf(b"BusyBox v1.36.1 (2023-05-18 22:34:17 UTC)"), ("busybox", "1.36.1")),
])
def test_version_strings(path, data, expected):
    assert detect(path, data) == [expected]
    # The visitor's cheap pre-selection (basenames, basename prefixes) offers the file to the cataloger.
    visitor = CatalogVisitor([RuntimeCataloger()])
    assert visitor.entry(LayerRef("blob"), FileEntry(path, EntryType.FILE, len(data), 0o644)) == len(data)


def test_python_takes_the_version_its_file_name_announces():
    # A python3.11 that also holds a stray 3.9.1 string (an embedded path, a bundled library).
    assert detect("/usr/local/bin/python3.11", elf(b"3.9.1", b"3.11", b"3.11.8")) == [("python", "3.11.8")]
    assert detect("/usr/local/bin/python3.11", elf(b"3.9.1", b"3.11")) == []
    assert detect("/usr/local/bin/python3.11-config", elf(b"3.11.8")) == []  # not a python binary name


def test_redis_build_id_shapes():
    assert find_redis(b"x\x007.0.14buildkitsandbox-1702957741000000000\x00", "redis-server") == "7.0.14"
    assert find_redis(b"\x004.0.11841ce7054bd9-1542359302000000000\x00", "redis-server") == "4.0.11"
    # Debian: an empty host name runs the patch number into the time stamp; the standalone literal decides.
    debian = b"\x00err\x007.0.15\x00c11\x00" + b"A7.0.151790282056000000000\x00"
    assert find_redis(debian, "redis-server") == "7.0.15"
    assert find_redis(b"A7.0.151790282056000000000\x00", "redis-server") is None  # no literal: no guess
    assert find_redis(b"Server started, Redis version 2.8.23\n", "redis-server") == "2.8.23"


def test_go_version_file():
    assert detect("/usr/local/go/VERSION", b"go1.21.5\ntime 2023-11-29T21:21:48Z\n") == [("go", "1.21.5")]
    assert detect("/srv/app/VERSION", b"1.4.2\n") == []  # another project's VERSION file
    assert detect("/usr/local/go/VERSION", ELF + b"go1.21.5") == []  # the file rule reads text only


def test_jvm_release_file():
    release = (b'IMPLEMENTOR="Eclipse Adoptium"\nIMPLEMENTOR_VERSION="Temurin-21.0.4+7"\n'
               b'JAVA_RUNTIME_VERSION="21.0.4+7-LTS"\nJAVA_VERSION="21.0.4"\nJAVA_VERSION_DATE="2024-07-16"\n')
    assert detect("/opt/java/openjdk/release", release) == [("openjdk", "21.0.4+7-LTS")]
    assert jvm_version(jvm_release(b'JAVA_VERSION="1.8.0_422"\nFULL_VERSION="1.8.0_422-b05"\n')) == "1.8.0_422-b05"
    assert jvm_version(jvm_release(b'JAVA_VERSION="17.0.2"\nFULL_VERSION="1.8.0"\n')) == "17.0.2"
    assert detect("/usr/src/app/release", b"VERSION=3\nCODENAME=x\n") == []  # not a JDK's release file
    assert jvm_cpe_version("1.8.0_352-b08") == ("1.8.0", "update352")
    assert jvm_cpe_version("21.0.4+7-LTS") == ("21.0.4", "*")


def test_cpe_strings_quote_special_characters():
    assert cpe23("nodejs", "node.js", "20.11.1") == "cpe:2.3:a:nodejs:node.js:20.11.1:*:*:*:*:*:*:*"
    assert cpe23("python", "python", "3.11.4+") == "cpe:2.3:a:python:python:3.11.4\\+:*:*:*:*:*:*:*"
    assert cpe23("oracle", "openjdk", "1.8.0", "update352") == "cpe:2.3:a:oracle:openjdk:1.8.0:update352:*:*:*:*:*:*"


def test_only_named_files_in_bin_or_lib_directories_are_read():
    cataloger = RuntimeCataloger()
    huge = 10 << 30
    assert cataloger.wants("/usr/local/bin/node", FileEntry("/usr/local/bin/node", EntryType.FILE, huge)) == MAX_BINARY
    assert cataloger.wants("/srv/data/node", FileEntry("/srv/data/node", EntryType.FILE, 1 << 20)) == 0
    assert cataloger.wants("/usr/local/bin/nodejs-helper", FileEntry("/x", EntryType.FILE, 1 << 20)) == 0
    assert cataloger.wants("/usr/local/bin/node", FileEntry("/x", EntryType.FILE, 0)) == 0
    assert cataloger.wants("/opt/java/openjdk/release", FileEntry("/x", EntryType.FILE, huge)) == 64 << 10
    assert cataloger.wants("/usr/local/bin/redis-server", FileEntry("/x", EntryType.FILE, huge)) == 32 << 20


@pytest.mark.parametrize("path", ["/usr/local/bin/python3.11", "/usr/local/bin/node", "/usr/local/go/bin/go",
                                  "/usr/local/bin/ruby", "/usr/local/bin/php", "/usr/sbin/nginx",
                                  "/usr/local/bin/redis-server", "/usr/local/pgsql/bin/postgres", "/bin/busybox"])
def test_not_elf_and_truncated_elf_give_nothing(path):
    # A shell script named like the runtime, that even carries the version string.
    script = b"#!/bin/sh\n# node.js/v20.1.0 BusyBox v1.36.1 ruby 3.2.2 X-Powered-By: PHP/8.2.1 \x003.11.2\x00\n"
    assert detect(path, script) == []
    assert detect(path, b"\x7fEL") == []
    assert detect(path, ELF[:4]) == []


def test_truncated_go_build_info_falls_back_without_error():
    magic = b"\xff Go buildinf:"
    head = ELF + b"\x00" * (64 - len(ELF) % 64)
    truncated = head + magic + b"\x08\x02" + b"\x00" * 16 + b"\xff"  # inline flag, then a varint cut short
    assert detect("/usr/local/go/bin/go", truncated) == []
    assert detect("/usr/local/go/bin/go", truncated + b"\x00go1.20.3\x00") == [("go", "1.20.3")]


def test_anchor_floods_cost_bounded_time():
    for path, anchor in [("/usr/local/bin/ruby", b"ruby "), ("/usr/local/bin/python3.11", b"\x003.11"),
                         ("/usr/local/bin/node", b"node.js/v"), ("/usr/local/bin/redis-server", b"1.2.3\x00")]:
        data = ELF + anchor * ((16 << 20) // len(anchor))
        started = time.perf_counter()
        assert detect(path, data) == []
        assert time.perf_counter() - started < 5, path
    assert MAX_HITS <= 4096


def test_rules_are_chosen_by_full_basename():
    assert [r.found_by for r in rules_for("libpython3.12.so.1.0")] == ["python-binary-lib"]
    assert [r.found_by for r in rules_for("apache2")] == ["httpd-binary"]
    assert rules_for("python3") == [] and rules_for("gofmt") == [] and rules_for("nginx.conf") == []


def test_ownership_rule_paths():
    assert os_owned("/usr/bin/busybox") and os_owned("/bin/busybox") and os_owned("/usr/lib/postgresql/15/bin/postgres")
    assert not os_owned("/usr/local/bin/python3.11") and not os_owned("/opt/java/openjdk/release")


def test_only_go_is_looked_up_and_never_as_a_distro_package():
    go = Package("go", "1.19.8", "binary", distro_id="debian", distro_version="12")
    assert lookups(go) == [("Go", "stdlib", "1.19.8"), ("Go", "toolchain", "1.19.8")]
    assert lookups(Package("nginx", "1.22.1", "binary", distro_id="debian", distro_version="12")) == []


def _layer(members: dict[str, bytes]) -> bytes:
    entries = []
    for name, data in members.items():
        info, _ = file_member(name, data)
        info.mode = 0o755
        entries.append((info, data))
    return tar_bytes(entries)


BUSYBOX = elf(b"BusyBox v1.36.1 (2023-05-18 22:34:17 UTC)")


def test_os_database_owns_its_directories_in_a_real_pass(tmp_path):
    status = b"Package: busybox\nStatus: install ok installed\nVersion: 1:1.36.1-1\nArchitecture: amd64\n"
    layers = [_layer({"var/lib/dpkg/status": status, "usr/bin/busybox": BUSYBOX}),
              _layer({"usr/local/bin/busybox": BUSYBOX, "usr/local/bin/python3.12": elf(b"3.12.1"),
                      "usr/local/lib/libpython3.12.so.1.0": elf(b"3.12.1")})]
    catalog = catalog_image(open_source(f"docker-archive:{docker_archive(tmp_path / 'a.tar', layers)}"))
    binaries = {p.name: p for p in catalog.packages if p.type == "binary"}
    assert [path for _, path in binaries["busybox"].locations] == ["/usr/local/bin/busybox"]
    python = binaries["python"]
    assert [path for _, path in python.locations] == ["/usr/local/bin/python3.12", "/usr/local/lib/libpython3.12.so.1.0"]
    assert python.purl == "pkg:generic/python@3.12.1" and python.found_by == "python-binary, python-binary-lib"
    assert python.cpes == ("cpe:2.3:a:python_software_foundation:python:3.12.1:*:*:*:*:*:*:*",
                           "cpe:2.3:a:python:python:3.12.1:*:*:*:*:*:*:*")
    assert [p.name for p in catalog.packages if p.type == "deb"] == ["busybox"]


def test_without_an_os_database_system_paths_count(tmp_path):
    # The official busybox image: no package database at all.
    catalog = catalog_image(open_source(f"docker-archive:{docker_archive(tmp_path / 'b.tar', [_layer({'bin/busybox': BUSYBOX})])}"))
    assert [(p.name, p.version, p.locations[0][1]) for p in catalog.packages] == [("busybox", "1.36.1", "/bin/busybox")]


def test_removed_runtime_is_not_reported(tmp_path):
    whiteout = {"usr/local/bin/.wh.busybox": b""}
    archive = docker_archive(tmp_path / "c.tar", [_layer({"usr/local/bin/busybox": BUSYBOX}), _layer(whiteout)])
    assert [p for p in catalog_image(open_source(f"docker-archive:{archive}")).packages if p.type == "binary"] == []


def _stream_archive(path: Path, name: str, size: int, pattern: bytes) -> Path:
    """A docker-archive whose one layer holds a file of `size` bytes, written without holding it in memory."""
    layer_path = path.with_suffix(".layer")

    class Repeating:
        def __init__(self) -> None:
            self.left = size

        def read(self, n: int = -1) -> bytes:
            n = self.left if n < 0 else min(n, self.left)
            self.left -= n
            return (pattern * (n // len(pattern) + 1))[:n]

    with tarfile.open(layer_path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, 0o755
        tar.addfile(info, Repeating())
    digest = hashlib.sha256()
    with open(layer_path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    diff_id = "sha256:" + digest.hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                         "history": [{"created_by": "huge"}]}).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["huge:1"], "Layers": ["l/layer.tar"]}]).encode()
    with tarfile.open(path, "w") as tar:
        for member, data in ((config_name, config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        tar.add(layer_path, "l/layer.tar")
    layer_path.unlink()
    return path


def test_huge_file_named_node_is_read_only_up_to_the_cap(tmp_path):
    # 160 MB of an ELF-looking anchor flood named node: the scan hands over 64 MB, the finder gives up.
    archive = _stream_archive(tmp_path / "huge.tar", "usr/local/bin/node", 160 << 20, b"\x7fELFnode.js/v")
    run = run_hostile("sbom", f"docker-archive:{archive}", "--format", "json", "-q")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert [p for p in json.loads(run.stdout)["packages"] if p["type"] == "binary"] == []
    assert run.peak_rss_mb < 250, f"peak RSS {run.peak_rss_mb:.0f} MB"
    assert run.seconds < 60


def test_cpe_quoting_is_what_spdx_validators_accept(tmp_path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    def problems(cpe: str) -> int:
        doc = {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
               "documentNamespace": "https://example.invalid/x",
               "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: t"]},
               "packages": [{"SPDXID": "SPDXRef-P", "name": "p", "downloadLocation": "NOASSERTION",
                             "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type",
                                               "referenceLocator": cpe}]}],
               "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                                  "relatedSpdxElement": "SPDXRef-P"}]}
        path = tmp_path / "x.spdx.json"
        path.write_text(json.dumps(doc))
        return len(validate_full_spdx_document(parse_file(str(path))))

    assert problems("cpe:2.3:a:python:python:3.11.4+:*:*:*:*:*:*:*") == 1  # the control: unquoted is rejected
    for version in ("3.11.4+", "17.0.2+8-LTS", "1.21.4", "3.1.2p20"):
        assert problems(cpe23("python", "python", version)) == 0, version
