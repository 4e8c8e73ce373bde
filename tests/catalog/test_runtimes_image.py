"""Binary runtimes on an image built here: each unpacked from Debian's own .deb into the place the
official images install it, without registering it with dpkg, and checked against the version
of the deb it came from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dockopt.catalog.catalog import Catalog, catalog_image
from dockopt.image.reference import open_source

pytestmark = pytest.mark.engine

# deb -> (file inside it, where the official images keep the runtime)
LAYOUT = {
    "python3.11-minimal": [("usr/bin/python3.11", "/usr/local/bin/python3.11")],
    "libpython3.11": [("usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "/usr/local/lib/libpython3.11.so.1.0")],
    "nodejs": [("usr/bin/node", "/usr/local/bin/node")],
    "libnode108": [("usr/lib/x86_64-linux-gnu/libnode.so.108", "/usr/local/lib/libnode.so.108")],
    "golang-1.19-go": [("usr/lib/go-1.19/bin/go", "/usr/local/go/bin/go"),
                       ("usr/lib/go-1.19/VERSION", "/usr/local/go/VERSION")],
    "openjdk-17-jre-headless": [("usr/lib/jvm/java-17-openjdk-amd64/release", "/opt/java/openjdk/release"),
                                ("usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/opt/java/openjdk/bin/java")],
    "ruby3.1": [("usr/bin/ruby3.1", "/usr/local/bin/ruby")],
    "libruby3.1": [("usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2", "/usr/local/lib/libruby-3.1.so.3.1.2")],
    "php8.2-cli": [("usr/bin/php8.2", "/usr/local/bin/php")],
    "nginx": [("usr/sbin/nginx", "/usr/local/nginx/sbin/nginx")],
    "apache2-bin": [("usr/sbin/apache2", "/usr/local/apache2/bin/httpd")],
    # Debian's redis-server is a symlink to redis-check-rdb (redis-tools); the official image has the real file.
    "redis-tools": [("usr/bin/redis-check-rdb", "/usr/local/bin/redis-server")],
    "postgresql-15": [("usr/lib/postgresql/15/bin/postgres", "/usr/local/pgsql/bin/postgres")],
    "busybox": [("bin/busybox", "/usr/local/bin/busybox")],
}

_INSTALLS = "; \\\n    ".join(f"install -D x/{src} {dst}" for files in LAYOUT.values() for src, dst in files)

RUNTIMES_DOCKERFILE = f"""\
FROM dockopt-test/debian:bookworm
RUN set -e; apt-get update; mkdir /tmp/debs; cd /tmp/debs; \\
    apt-get download {' '.join(LAYOUT)}; \\
    for d in *.deb; do dpkg-deb -W --showformat='${{Package}} ${{Version}}\\n' "$d"; done > /opt/runtime-debs.txt; \\
    for d in *.deb; do dpkg-deb -x "$d" x; done; \\
    {_INSTALLS}; \\
    dpkg -i busybox_*.deb; \\
    cd /; rm -rf /tmp/debs /var/lib/apt/lists/*
"""

# runtime -> (debs whose version it carries, CPE vendor:product pairs, purl prefix)
EXPECTED = {
    "python": ("python3.11-minimal", ["python_software_foundation:python", "python:python"], "pkg:generic/python@"),
    "node": ("nodejs", ["nodejs:node.js"], "pkg:generic/node@"),
    "go": ("golang-1.19-go", ["golang:go"], "pkg:generic/go@"),
    "openjdk": ("openjdk-17-jre-headless", ["oracle:openjdk"], "pkg:generic/oracle/openjdk@"),
    "ruby": ("ruby3.1", ["ruby-lang:ruby"], "pkg:generic/ruby@"),
    "php": ("php8.2-cli", ["php:php"], "pkg:generic/php@"),
    "nginx": ("nginx", ["f5:nginx", "nginx:nginx"], "pkg:generic/nginx@"),
    "httpd": ("apache2-bin", ["apache:http_server"], "pkg:generic/httpd@"),
    "redis": ("redis-tools", ["redislabs:redis", "redis:redis"], "pkg:generic/redis@"),
    "postgresql": ("postgresql-15", ["postgresql:postgresql"], "pkg:generic/postgresql@"),
    "busybox": ("busybox", ["busybox:busybox"], "pkg:generic/busybox@"),
}


def upstream(deb_version: str) -> str:
    """The upstream part of a Debian version: no epoch, no revision, no +dfsg repack suffix;
    `X+reallyY` is Y (ruby3.1 3.1.7+really3.1.2 ships Ruby 3.1.2)."""
    version = deb_version.split(":", 1)[-1].rsplit("-", 1)[0]
    version = version.split("+really", 1)[-1]
    return re.sub(r"[+~](dfsg|ds|repack)\d*.*$", "", version)


@pytest.fixture(scope="session")
def runtimes_image(build_image) -> str:
    return build_image(RUNTIMES_DOCKERFILE, name="catalog-runtimes")


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    from dockopt.vuln.importer import import_paths

    path = tmp_path_factory.mktemp("runtimes-db") / "osv.sqlite3"
    import_paths(path, [Path(__file__).resolve().parent.parent / "vuln" / "data" / "osv"])
    return path


@pytest.fixture(scope="session")
def runtimes_catalog(runtimes_image) -> Catalog:
    return catalog_image(open_source(f"docker:{runtimes_image}"))


@pytest.fixture(scope="session")
def deb_versions(runtimes_image, docker_client) -> dict[str, str]:
    out = docker_client.containers.run(runtimes_image, ["cat", "/opt/runtime-debs.txt"], remove=True,
                                       network_mode="none", labels={"dockopt.test": "1"}).decode()
    return dict(line.split(" ", 1) for line in out.splitlines() if line.strip())


def binaries(catalog: Catalog) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in catalog.packages:
        if p.type == "binary":
            out.setdefault(p.name, []).append(p)
    return out


def test_every_runtime_has_the_debs_upstream_version_purl_and_cpes(runtimes_catalog, deb_versions):
    found = binaries(runtimes_catalog)
    assert sorted(found) == sorted(EXPECTED)
    for name, (deb, cpes, purl_prefix) in EXPECTED.items():
        [package] = found[name]
        version = upstream(deb_versions[deb])
        if name == "ruby":
            assert re.fullmatch(re.escape(version) + r"p\d+", package.version), (package.version, version)
        elif name == "openjdk":  # JAVA_RUNTIME_VERSION: 17.0.21.1+2-1-deb12u1-Debian for 17.0.21.1+2-1~deb12u1
            assert package.version.startswith(version + "-"), (package.version, version)
        else:
            assert package.version == version, (name, package.version, deb_versions[deb])
        assert package.purl.startswith(purl_prefix) and package.purl.endswith(package.version.replace("+", "%2B"))
        cpe_version = version.split("+")[0] if name == "openjdk" else package.version
        assert [c.split(":")[3] + ":" + c.split(":")[4] for c in package.cpes] == cpes
        assert all(c.split(":")[5] == cpe_version for c in package.cpes), package.cpes
        assert package.found_by and package.from_base is False


def test_evidence_paths_are_the_official_layouts(runtimes_catalog):
    found = binaries(runtimes_catalog)
    paths = {name: sorted(path for _, path in found[name][0].locations) for name in found}
    assert paths["python"] == ["/usr/local/bin/python3.11", "/usr/local/lib/libpython3.11.so.1.0"]
    assert found["python"][0].found_by == "python-binary, python-binary-lib"
    assert paths["node"] == ["/usr/local/lib/libnode.so.108"]  # Debian's node launcher holds no version
    assert paths["go"] == ["/usr/local/go/VERSION", "/usr/local/go/bin/go"]
    assert paths["openjdk"] == ["/opt/java/openjdk/release"]
    assert paths["ruby"] == ["/usr/local/lib/libruby-3.1.so.3.1.2"]
    assert paths["httpd"] == ["/usr/local/apache2/bin/httpd"]
    assert paths["redis"] == ["/usr/local/bin/redis-server"]
    layer = runtimes_catalog.image.layers[1].diff_id
    assert all(d == layer for p in found.values() for d, _ in p[0].locations)


def test_dpkg_installed_busybox_is_only_the_deb(runtimes_catalog):
    # busybox is both unpacked to /usr/local/bin and installed by dpkg (/usr/bin/busybox).
    [runtime] = binaries(runtimes_catalog)["busybox"]
    assert [path for _, path in runtime.locations] == ["/usr/local/bin/busybox"]
    debs = [p for p in runtimes_catalog.packages if p.type == "deb" and p.name == "busybox"]
    assert len(debs) == 1


def test_sbom_formats_carry_cpes_and_found_by(runtimes_image, dockopt, tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    out = dockopt("sbom", f"docker:{runtimes_image}", "--format", "cyclonedx-json", "-q")
    assert out.returncode == 0, out.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(out.stdout) is None
    components = {c["name"]: c for c in json.loads(out.stdout)["components"]}
    nginx = components["nginx"]
    assert nginx["cpe"].startswith("cpe:2.3:a:f5:nginx:1.")
    props = {p["name"]: p["value"] for p in nginx["properties"]}
    assert props["dockopt:found-by"] == "nginx-binary" and props["dockopt:cpe23"].startswith("cpe:2.3:a:nginx:nginx:")
    spdx_path = tmp_path / "sbom.spdx.json"
    out = dockopt("sbom", f"docker:{runtimes_image}", "--format", "spdx-json", "-o", str(spdx_path), "-q")
    assert out.returncode == 0, out.stderr
    assert validate_full_spdx_document(parse_file(str(spdx_path))) == []  # checks the cpe23Type syntax too
    spdx = {p["name"]: p for p in json.loads(spdx_path.read_text())["packages"]}
    refs = {(r["referenceType"], r["referenceLocator"].split(":")[3] if r["referenceType"] == "cpe23Type" else "")
            for r in spdx["redis"]["externalRefs"]}
    assert refs == {("purl", ""), ("cpe23Type", "redislabs"), ("cpe23Type", "redis")}


def test_go_toolchain_matches_stdlib_and_toolchain_records(runtimes_image, fixture_db, dockopt):
    out = dockopt("scan", "--db", str(fixture_db), "--format", "json", f"docker:{runtimes_image}")
    assert out.returncode == 0, out.stderr
    matches = json.loads(out.stdout)["matches"]
    toolchain = {(m["id"], m["match"]["name"]) for m in matches
                 if m["package"]["type"] == "binary" and m["package"]["name"] == "go"}
    assert toolchain == {("GO-2099-4001", "stdlib"), ("GO-2099-4002", "toolchain")}
    # No other runtime is looked up anywhere (no OSV ecosystem for upstream builds; never as a distro package).
    assert {m["package"]["name"] for m in matches if m["package"]["type"] == "binary"} == {"go"}


def test_busybox_base_without_a_package_database(docker_client):
    # The busybox base has no package database: its /bin/busybox counts, at the version it prints itself.
    image = "dockopt-test/busybox:latest"
    banner = docker_client.containers.run(image, ["busybox"], remove=True, network_mode="none",
                                          labels={"dockopt.test": "1"}).decode().splitlines()[0]
    version = re.match(r"BusyBox v(\d+\.\d+\.\d+)", banner).group(1)
    catalog = catalog_image(open_source(f"docker:{image}"))
    [busybox] = binaries(catalog)["busybox"]
    assert busybox.version == version and busybox.purl == f"pkg:generic/busybox@{version}"
    assert [path for _, path in busybox.locations] == ["/bin/busybox"]
