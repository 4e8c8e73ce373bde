"""Catalogers on real images built in the tests, checked against the package managers themselves."""

from __future__ import annotations

import pytest

from dockopt.catalog.catalog import Catalog, catalog_image
from dockopt.image.reference import open_source
from .conftest import NPM_PINS, PIP_PINS, rpm_oracle

pytestmark = pytest.mark.engine


@pytest.fixture(scope="session")
def apps_catalog(apps_image) -> Catalog:
    return catalog_image(open_source(f"docker:{apps_image}"))


@pytest.fixture(scope="session")
def synthetic_catalog(synthetic_image) -> Catalog:
    return catalog_image(open_source(f"docker:{synthetic_image}"))


def by_type(catalog: Catalog, kind: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in catalog.packages:
        if p.type == kind:
            out.setdefault(p.name, []).append(p)
    return out


def run_in(docker_client, image: str, command: str) -> str:
    out = docker_client.containers.run(image, ["sh", "-c", command], remove=True, network_mode="none",
                                       labels={"dockopt.test": "1"})
    return out.decode()


def test_dpkg_packages_equal_dpkg_query(apps_catalog, apps_image, docker_client):
    oracle = run_in(docker_client, apps_image, "dpkg-query -W -f '${Package} ${Version} ${Architecture}\\n'")
    expected = {tuple(line.split()) for line in oracle.splitlines() if line.strip()}
    debs = [p for p in apps_catalog.packages if p.type == "deb"]
    found = {(p.name, p.version, p.purl.split("arch=")[1].split("&")[0]) for p in debs}
    assert found == expected
    assert len(debs) == len(expected)  # no duplicates either


def test_dpkg_details_source_license_distro_and_attribution(apps_catalog):
    debs = by_type(apps_catalog, "deb")
    libjq = debs["libjq1"][0]
    assert libjq.source_name == "jq"
    assert libjq.purl.startswith("pkg:deb/debian/libjq1@") and "distro=debian-12" in libjq.purl
    assert "upstream=jq" in libjq.purl
    assert "MIT" in debs["jq"][0].licenses  # from the machine-readable /usr/share/doc/jq/copyright
    assert apps_catalog.distro.id == "debian" and apps_catalog.distro.version_id == "12"
    # jq was installed by the user's first RUN; bash came with the base image.
    assert apps_catalog.base.layers == 1
    assert debs["jq"][0].from_base is False and debs["bash"][0].from_base is True
    user_layer = apps_catalog.image.layers[1].diff_id
    assert debs["jq"][0].locations == ((user_layer, "/var/lib/dpkg/status"),)
    base_layer = apps_catalog.image.layers[0].diff_id
    assert debs["bash"][0].locations[0][0] == base_layer


def test_python_pinned_packages(apps_catalog):
    py = by_type(apps_catalog, "python")
    for name, version in PIP_PINS.items():
        assert [p.version for p in py[name]] == [version], name
        p = py[name][0]
        assert p.purl == f"pkg:pypi/{name}@{version}"
        assert p.locations[0][1].startswith("/usr/local/lib/python3.11/dist-packages/")
        assert p.from_base is False
    assert py["requests"][0].licenses == ("Apache-2.0",)
    assert py["urllib3"][0].licenses == ("MIT",)
    assert py["chardet"][0].licenses == ("LGPL-2.1-only",) or py["chardet"][0].licenses  # LGPL from METADATA
    # pip itself comes from Debian's python3-pip (dist-info under /usr/lib/python3/dist-packages).
    assert any(p.locations[0][1].startswith("/usr/lib/python3/dist-packages/") for p in py["pip"])


def test_removed_python_package_is_not_reported(apps_catalog):
    # six 1.15.0 was installed, then its files were deleted in a later layer.
    assert not [p for p in apps_catalog.packages if p.type == "python" and p.name == "six" and p.version == "1.15.0"]


def test_npm_packages(apps_catalog):
    npm = by_type(apps_catalog, "npm")
    for name, version in NPM_PINS.items():
        mine = [p for p in npm[name] if p.locations[0][1] == f"/app/node_modules/{name}/package.json"]
        assert [p.version for p in mine] == [version]
        assert mine[0].purl == f"pkg:npm/{name}@{version}"
        assert mine[0].licenses == ("MIT",)


def test_java_archives_nested(apps_catalog):
    java = {p.name: p for p in apps_catalog.packages if p.type == "java"}
    assert java["com.example:shop"].version == "2.0.1"
    assert java["com.example:shop"].purl == "pkg:maven/com.example/shop@2.0.1"
    text = java["org.apache.commons:commons-text"]
    assert text.version == "1.9" and text.purl == "pkg:maven/org.apache.commons/commons-text@1.9"
    assert text.locations[0][1] == "/opt/shop/shop.war:WEB-INF/lib/commons-text-1.9.jar"
    helper = java["tiny-helper"]  # named from the file (as syft does); version from the manifest
    assert helper.version == "0.3.1" and helper.licenses == ("Apache-2.0",)


def test_go_binary_build_info(apps_catalog):
    go = [p for p in apps_catalog.packages if p.type == "go" and p.locations[0][1] == "/usr/local/bin/hello"]
    names = {p.name: p.version for p in go}
    assert names["example.com/greet"] == "v1.2.3"
    assert names["stdlib"].startswith("go1.19")
    assert names["example.com/hello"] == "(devel)"  # the main module of a local build
    assert next(p for p in go if p.name == "example.com/greet").purl == "pkg:golang/example.com/greet@v1.2.3"


def test_synthetic_databases(synthetic_catalog, rpmdb_bytes, tmp_path):
    cat = synthetic_catalog
    assert (cat.distro.id, cat.distro.version_id) == ("alpine", "3.19.1")
    # distroless status.d: one stanza, source with version in parentheses absent -> source name only
    ssl = by_type(cat, "deb")["libssl3"][0]
    assert (ssl.version, ssl.source_name) == ("3.0.11-1~deb12u2", "openssl")
    apk = by_type(cat, "apk")
    assert apk["musl"][0].version == "1.2.4_git20230717-r4" and apk["musl"][0].licenses == ("MIT",)
    assert apk["libcrypto3"][0].source_name == "openssl"
    assert apk["libcrypto3"][0].purl == "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"
    rpms = by_type(cat, "rpm")
    assert {(name, ps[0].version) for name, ps in rpms.items()} == rpm_oracle(rpmdb_bytes, tmp_path)
    demo = rpms["dockopt-demo"][0]
    assert demo.licenses == ("MIT OR Apache-2.0",) and demo.source_name == "dockopt-demo"
    assert "epoch=2" in demo.purl
    # a Berkeley DB rpmdb is named, not silently skipped
    assert any("/var/lib/rpm/Packages" in n and "Berkeley DB" in n for n in cat.notes)
    # a lock file without node_modules
    npm = by_type(cat, "npm")
    assert npm["left-pad"][0].version == "1.3.0" and npm["left-pad"][0].licenses == ("WTFPL",)
    assert npm["@babel/core"][0].purl == "pkg:npm/%40babel/core@7.20.0"
