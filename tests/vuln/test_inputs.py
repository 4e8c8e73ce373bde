"""Package URLs and distro releases mapped to what OSV names them, and config-driven scans."""

from __future__ import annotations

import json

import pytest

from dockopt.catalog.model import Package
from dockopt.vuln.ecosystems import lookups
from dockopt.vuln.sbom_input import package_from_purl


@pytest.mark.parametrize("purl,expected", [
    ("pkg:npm/%40babel/core@7.0.0", ("@babel/core", "7.0.0", "npm")),
    ("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", ("org.apache.logging.log4j:log4j-core", "2.14.1", "java")),
    ("pkg:golang/github.com/docker/docker@v20.10.0%2Bincompatible",
     ("github.com/docker/docker", "v20.10.0+incompatible", "go")),
    ("pkg:pypi/PyYAML@5.3", ("pyyaml", "5.3", "python")),
    ("pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?epoch=1&distro=almalinux-9.3",
     ("openssl-libs", "1:3.0.7-24.el9", "rpm")),
    ("pkg:cargo/time@0.1.40", ("time", "0.1.40", "cargo")),
    ("pkg:gem/rack@2.2.6", ("rack", "2.2.6", "gem")),
])
def test_purls_become_packages(purl, expected):
    package = package_from_purl(purl)
    assert (package.name, package.version, package.type) == expected


def test_distro_purls_carry_source_and_release():
    deb = package_from_purl("pkg:deb/debian/libssl3@3.0.11-1~deb12u2+b1?upstream=openssl%403.0.11-1~deb12u2"
                            "&distro=debian-12")
    assert (deb.source_name, deb.source_version, deb.distro_id, deb.distro_version) == (
        "openssl", "3.0.11-1~deb12u2", "debian", "12")
    assert lookups(deb) == [("Debian:12", "openssl", "3.0.11-1~deb12u2")]
    apk = package_from_purl("pkg:apk/alpine/libcrypto3@3.1.4-r5?upstream=openssl&distro=alpine-3.19.1")
    assert lookups(apk) == [("Alpine:v3.19", "openssl", "3.1.4-r5")]
    # No distro qualifier: the SBOM's operating-system component supplies the release.
    bare = package_from_purl("pkg:deb/ubuntu/bash@5.1-6ubuntu1", default_distro=("ubuntu", "22.04"))
    assert lookups(bare)[0] == ("Ubuntu:22.04:LTS", "bash", "5.1-6ubuntu1")
    rpm = package_from_purl("pkg:rpm/rocky/bash@5.1.8-6.el9?distro=rocky-9.3")
    assert lookups(rpm) == [("Rocky Linux:9", "bash", "5.1.8-6.el9")]
    # Generic purls are binary runtimes: looked up only where OSV covers them (the Go toolchain).
    assert lookups(package_from_purl("pkg:generic/thing@1.0")) == []
    assert lookups(package_from_purl("pkg:generic/go@1.19.8")) == [("Go", "stdlib", "1.19.8"), ("Go", "toolchain", "1.19.8")]
    assert package_from_purl("not a purl") is None


def test_language_lookups_normalise_names():
    assert lookups(Package("Foo_Bar.baz", "1.0", "python")) == [("PyPI", "foo-bar-baz", "1.0")]
    assert lookups(Package("smallvec", "1.6.0", "cargo")) == [("crates.io", "smallvec", "1.6.0")]


def test_config_section_drives_the_scan(tmp_path, fixture_db, dockopt):
    sbom = tmp_path / "s.cdx.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [
        {"type": "library", "name": "lodash", "version": "4.17.20", "purl": "pkg:npm/lodash@4.17.20"}]}))
    (tmp_path / ".dockopt.yaml").write_text(
        f"db:\n  path: {fixture_db}\nscan:\n  fail-on: high\n  format: json\n")
    result = dockopt("scan", "--sbom", str(sbom), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["matches"][0]["id"] == "GHSA-35jh-r3h4-6jhm"
    (tmp_path / ".dockopt.yaml").write_text(
        f"db:\n  path: {fixture_db}\nscan:\n  fail-on: high\n  ignore:\n"
        f"    - id: CVE-2021-23337\n      reason: test-only dependency\n")
    assert dockopt("scan", "--sbom", str(sbom), cwd=tmp_path).returncode == 0
