"""`dockopt scan --sbom`: SBOM reading, matching explained, gates, ignores, output formats."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from dockopt.catalog.model import Package
from dockopt.vuln.db import VulnDB
from dockopt.vuln.match import match_packages

DATA = Path(__file__).parent / "data"
LAYER = "sha256:" + "a" * 64


def _component(purl: str, name: str, version: str, path: str | None = None) -> dict:
    component = {"type": "library", "name": name, "version": version, "purl": purl, "bom-ref": purl}
    if path:
        component["properties"] = [{"name": "syft:location:0:path", "value": path},
                                   {"name": "syft:location:0:layerID", "value": LAYER}]
    return component


COMPONENTS = [
    {"type": "operating-system", "name": "debian", "version": "12"},
    _component("pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12",
               "libssl3", "3.0.11-1~deb12u1", "/var/lib/dpkg/status"),
    _component("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib&distro=debian-12",
               "zlib1g", "1:1.2.13.dfsg-1", "/var/lib/dpkg/status"),
    _component("pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "openssl",
               "3.0.11-1~deb12u2"),  # already fixed
    _component("pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1", "musl",
               "1.2.4_git20230717-r4", "/lib/apk/db/installed"),
    _component("pkg:pypi/requests@2.25.0", "requests", "2.25.0",
               "/usr/lib/python3/dist-packages/requests-2.25.0.dist-info/METADATA"),
    _component("pkg:pypi/urllib3@2.0.7", "urllib3", "2.0.7"),
    _component("pkg:pypi/Jinja2@2.10.1", "Jinja2", "2.10.1"),
    _component("pkg:npm/lodash@4.17.20", "lodash", "4.17.20", "/app/node_modules/lodash/package.json"),
    _component("pkg:golang/golang.org/x/net@v0.10.0", "golang.org/x/net", "v0.10.0", "/usr/local/bin/app"),
    _component("pkg:golang/stdlib@go1.21.1", "stdlib", "go1.21.1", "/usr/local/bin/app"),
    _component("pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.7", "jackson-databind", "2.9.10.7",
               "/app/lib/jackson-databind-2.9.10.7.jar"),
    _component("pkg:cargo/smallvec@1.6.0", "smallvec", "1.6.0"),
    _component("pkg:gem/rack@2.2.6", "rack", "2.2.6"),
    {"type": "library", "name": "no-purl", "version": "1.0"},
]

EXPECTED = {
    "DSA-9001-1": ("libssl3", "critical", "3.0.11-1~deb12u2"),
    "DEBIAN-CVE-2099-1002": ("zlib1g", "low", None),
    "ALPINE-CVE-2099-2001": ("musl", "medium", "1.2.4_git20230717-r5"),
    "GHSA-j8r2-6x86-q33q": ("requests", "medium", "2.31.0"),
    "PYSEC-2099-3001": ("jinja2", "medium", None),
    "GHSA-35jh-r3h4-6jhm": ("lodash", "high", "4.17.21"),
    # GO-2099-4001 and GHSA-aaaa-bbbb-cccc are aliases: one vulnerability, the scored record kept.
    "GHSA-aaaa-bbbb-cccc": ("golang.org/x/net", "high", "0.17.0"),
    "GHSA-test-jackson": ("com.fasterxml.jackson.core:jackson-databind", "critical", None),
    "RUSTSEC-2099-0001": ("smallvec", "medium", "1.6.1"),
    "GHSA-test-rack": ("rack", "low", "2.2.6.3"),
}


@pytest.fixture(scope="module")
def cdx_sbom(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sbom") / "image.cdx.json"
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
                                "metadata": {"component": {"type": "container", "name": "app:1"}},
                                "components": COMPONENTS}))
    return path


def _scan(dockopt, sbom: Path, db: Path, *extra: str):
    return dockopt("scan", "--sbom", str(sbom), "--db", str(db), *extra)


def test_json_report_matches_and_explains(cdx_sbom, fixture_db, dockopt):
    result = _scan(dockopt, cdx_sbom, fixture_db, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    found = {(m["id"], m["package"]["name"]) for m in report["matches"]}
    expected = {(rid, name) for rid, (name, _, _) in EXPECTED.items()} | {("GO-2099-4001", "stdlib")}
    assert found == expected
    assert report["summary"]["packages"] == 13 and report["summary"]["vulnerabilities"] == len(expected)
    by_id = {(m["id"], m["package"]["name"]): m for m in report["matches"]}
    for rid, (name, severity, fixed) in EXPECTED.items():
        match = by_id[(rid, name)]
        assert (match["severity"], match["fixed_version"]) == (severity, fixed), rid

    ssl = by_id[("DSA-9001-1", "libssl3")]
    assert ssl["aliases"] == ["CVE-2099-1001"]
    assert ssl["match"]["ecosystem"] == "Debian:12"
    assert ssl["match"]["name"] == "openssl"  # the binary package matched through its source package
    assert ssl["match"]["version"] == "3.0.11-1~deb12u1"
    assert ssl["match"]["range"]["events"] == [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u2"}]
    assert ssl["package"]["locations"] == [{"layer": LAYER, "path": "/var/lib/dpkg/status"}]
    assert ssl["cvss_score"] == 9.1 and "CVSS_V3" in ssl["severity_source"]
    explanation = ssl["match"]["explanation"]
    assert "libssl3 (source openssl)" in explanation and "fixed 3.0.11-1~deb12u2" in explanation
    assert "/var/lib/dpkg/status" in explanation

    stdlib = by_id[("GO-2099-4001", "stdlib")]
    assert stdlib["fixed_version"] == "1.21.3" and stdlib["match"]["range"]["introduced"] == "1.21.0-0"
    # Unrated GO record: the CVSS vector of the GHSA record it names as an alias decides.
    assert stdlib["severity"] == "high" and stdlib["severity_source"].endswith("from alias GHSA-aaaa-bbbb-cccc")
    xnet = by_id[("GHSA-aaaa-bbbb-cccc", "golang.org/x/net")]
    assert "GO-2099-4001" in xnet["aliases"] and "CVE-2099-4001" in xnet["aliases"]
    jinja = by_id[("PYSEC-2099-3001", "jinja2")]
    assert jinja["match"]["by"] == "versions" and jinja["cvss_score"] == 6.1
    jackson = by_id[("GHSA-test-jackson", "com.fasterxml.jackson.core:jackson-databind")]
    assert jackson["match"]["range"]["last_affected"] == "2.9.10.7"
    assert "skipped" not in result.stderr or "1 SBOM entries" in result.stderr


def test_fail_on_and_only_fixed(cdx_sbom, fixture_db, dockopt):
    assert _scan(dockopt, cdx_sbom, fixture_db, "--fail-on", "critical", "--format", "json").returncode == 1
    only_fixed = _scan(dockopt, cdx_sbom, fixture_db, "--only-fixed", "--format", "json", "--fail-on", "critical")
    ids = {m["id"] for m in json.loads(only_fixed.stdout)["matches"]}
    assert "DEBIAN-CVE-2099-1002" not in ids and "GHSA-test-jackson" not in ids and "DSA-9001-1" in ids
    assert only_fixed.returncode == 1  # DSA-9001-1 is critical and fixed
    bad = _scan(dockopt, cdx_sbom, fixture_db, "--fail-on", "severe")
    assert bad.returncode == 2 and "unknown severity" in bad.stderr


def test_ignore_file_reasons_and_expiry(cdx_sbom, fixture_db, dockopt, tmp_path):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    rules = tmp_path / "ignore.yaml"
    rules.write_text(f"""ignore:
  - id: CVE-2099-1001          # an alias of DSA-9001-1
    package: openssl           # the source package name is enough
    reason: not reachable in this service
  - id: GHSA-test-jackson
    reason: waiting for vendor
    expires: {yesterday}
""")
    result = _scan(dockopt, cdx_sbom, fixture_db, "--ignore-file", str(rules), "--format", "json",
                   "--fail-on", "critical")
    report = json.loads(result.stdout)
    assert [i["id"] for i in report["ignored"]] == ["DSA-9001-1"]
    assert report["ignored"][0]["ignore"]["reason"] == "not reachable in this service"
    assert "GHSA-test-jackson" in {m["id"] for m in report["matches"]}
    assert result.returncode == 1  # the expired ignore fails again
    assert f"expired on {yesterday}" in result.stderr

    rules.write_text(rules.read_text().replace(str(yesterday), str(tomorrow)))
    renewed = _scan(dockopt, cdx_sbom, fixture_db, "--ignore-file", str(rules), "--fail-on", "critical")
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    assert "2 ignored" in renewed.stdout

    rules.write_text("ignore:\n  - id: CVE-2099-1001\n")
    missing_reason = _scan(dockopt, cdx_sbom, fixture_db, "--ignore-file", str(rules))
    assert missing_reason.returncode == 2 and "`reason` is required" in missing_reason.stderr


def test_table_output(cdx_sbom, fixture_db, dockopt):
    result = dockopt("scan", "--sbom", "-", "--db", str(fixture_db), input=cdx_sbom.read_text())
    assert result.returncode == 0
    assert "DSA-9001-1 (CVE-2099-1001)" in result.stdout
    assert "11 vulnerabilities (2 critical, 3 high, 4 medium, 2 low) in 13 packages" in result.stdout


def test_sarif_is_valid(cdx_sbom, fixture_db, dockopt, tmp_path):
    import jsonschema

    out = tmp_path / "scan.sarif"
    result = _scan(dockopt, cdx_sbom, fixture_db, "--format", "sarif", "-o", str(out))
    assert result.returncode == 0 and result.stdout == ""
    sarif = json.loads(out.read_text())
    schema = json.loads((DATA.parent.parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert len(results) == 11
    ssl = next(r for r in results if r["ruleId"] == "DSA-9001-1")
    assert ssl["level"] == "error"
    assert ssl["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "var/lib/dpkg/status"
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["DSA-9001-1"]["properties"]["security-severity"] == "9.1"


def test_cyclonedx_is_valid(cdx_sbom, fixture_db, dockopt):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    result = _scan(dockopt, cdx_sbom, fixture_db, "--format", "cyclonedx")
    assert result.returncode == 0, result.stderr
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.stdout) is None
    bom = json.loads(result.stdout)
    vulns = {v["id"]: v for v in bom["vulnerabilities"]}
    assert len(vulns) == 11
    ssl = vulns["DSA-9001-1"]
    assert ssl["ratings"][0]["score"] == 9.1 and ssl["ratings"][0]["method"] == "CVSSv31"
    assert ssl["references"][0]["id"] == "CVE-2099-1001"
    component_refs = {c["bom-ref"]: c for c in bom["components"]}
    assert component_refs[ssl["affects"][0]["ref"]]["name"] == "libssl3"
    assert len(bom["components"]) == 13  # every package with a purl


def test_spdx_input(fixture_db, dockopt, tmp_path):
    sbom = tmp_path / "image.spdx.json"
    packages = []
    for index, component in enumerate(c for c in COMPONENTS if "purl" in c):
        packages.append({"SPDXID": f"SPDXRef-Package-{index}", "name": component["name"],
                         "versionInfo": component["version"], "downloadLocation": "NOASSERTION",
                         "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                                           "referenceLocator": component["purl"]}]})
    sbom.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "img",
                                "dataLicense": "CC0-1.0", "packages": packages}))
    result = _scan(dockopt, sbom, fixture_db, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert {m["id"] for m in json.loads(result.stdout)["matches"]} == set(EXPECTED) | {"GO-2099-4001"}


def test_bad_inputs_exit_2_without_output(fixture_db, dockopt, tmp_path):
    out = tmp_path / "out.json"
    not_sbom = tmp_path / "x.json"
    not_sbom.write_text('{"hello": 1}')
    for args in (("--sbom", str(not_sbom)), ("--sbom", str(tmp_path / "missing.json")), ("some/image:tag",), ()):
        result = dockopt("scan", *args, "--db", str(fixture_db), "-o", str(out))
        assert result.returncode == 2, args
        assert result.stderr.startswith("dockopt: error:") and len(result.stderr.strip().splitlines()) == 1
        assert not out.exists()
    no_db = dockopt("scan", "--sbom", str(not_sbom), "--db", str(tmp_path / "none.sqlite3"))
    assert no_db.returncode == 2


def test_matching_core_takes_plain_packages(fixture_db):
    """The core needs no SBOM or image: packages in, explained matches out."""
    packages = [
        # A binNMU: the binary version differs, the source version decides.
        Package("libssl3", "3.0.11-1~deb12u1+b1", "deb", source_name="openssl", source_version="3.0.11-1~deb12u1",
                distro_id="debian", distro_version="12", locations=((LAYER, "/var/lib/dpkg/status"),), from_base=True),
        Package("openssl", "1.1.1n-0+deb11u5", "deb", distro_id="debian", distro_version="11.7"),
        Package("openssl", "3.0.0", "deb", distro_id="slackware", distro_version="15"),
        Package("requests", "2.31.0", "python"),
        Package("requests", "not.a.version!", "python"),
    ]
    with VulnDB(fixture_db) as db:
        result = match_packages(packages, db)
    matched = sorted((m.package.version, m.ecosystem, m.record_id) for m in result.matches)
    assert matched == [("1.1.1n-0+deb11u5", "Debian:11", "DSA-9001-1"),
                       ("3.0.11-1~deb12u1+b1", "Debian:12", "DSA-9001-1")]
    deb12 = next(m for m in result.matches if m.ecosystem == "Debian:12")
    assert deb12.compared_version == "3.0.11-1~deb12u1" and deb12.package.from_base is True
    assert deb12.to_finding().location.path == "/var/lib/dpkg/status"
    assert any("slackware" in note for note in result.notes)
    assert any("not.a.version!" in note for note in result.notes)


def test_real_syft_sbom_matches_through_source_packages(tmp_path, dockopt):
    """An SBOM written by syft 1.18 for the Debian test image: binaries are matched under their
    source package and *source* version. bsdutils 1:2.38.1-5+deb12u3 comes from util-linux
    2.38.1-5+deb12u3: compared with its own epoch it would look newer than any fix."""
    records = tmp_path / "records"
    records.mkdir()
    for rid, source, fixed in (("DEBIAN-CVE-2099-7001", "util-linux", "2.38.1-5+deb12u4"),
                               ("DEBIAN-CVE-2099-7002", "bash", "5.2.15-3"),
                               ("DEBIAN-CVE-2099-7003", "adduser", "3.134")):
        (records / f"{rid}.json").write_text(json.dumps({
            "id": rid, "modified": "2026-11-01T00:00:00Z", "aliases": [rid.replace("DEBIAN-", "")],
            "affected": [{"package": {"ecosystem": "Debian:12", "name": source},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}))
    db = tmp_path / "v.sqlite3"
    assert dockopt("db", "import", str(records), "--db", str(db)).returncode == 0
    result = dockopt("scan", "--sbom", str(DATA / "syft-debian-12.cdx.json"), "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    matches = {m["package"]["name"]: m for m in json.loads(result.stdout)["matches"]}
    assert set(matches) == {"bsdutils", "bash"}  # adduser 3.134 is the fixed version itself
    bsdutils = matches["bsdutils"]["match"]
    assert (bsdutils["name"], bsdutils["version"]) == ("util-linux", "2.38.1-5+deb12u3")
    assert matches["bash"]["match"]["version"] == "5.2.15-2"  # not the binNMU 5.2.15-2+b13
    assert matches["bash"]["package"]["locations"][0]["path"] == "/var/lib/dpkg/status"


def test_pypi_semver_range_compares_versions_pep440_cannot_read(tmp_path):
    # Neither version is PEP 440; under SemVer 1.0.0-alpha.beta < 1.0.0-beta.2 (the fix).
    from dockopt.vuln.importer import import_paths

    record = {"id": "GHSA-semv-erpy-pi00", "modified": "2024-06-01T00:00:00Z",
              "affected": [{"package": {"ecosystem": "PyPI", "name": "semverpkg"},
                            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"},
                                                                     {"fixed": "1.0.0-beta.2"}]}]}]}
    (tmp_path / "osv").mkdir()
    (tmp_path / "osv" / "GHSA-semv-erpy-pi00.json").write_text(json.dumps(record))
    import_paths(tmp_path / "db.sqlite3", [tmp_path / "osv"])
    packages = [Package("semverpkg", "1.0.0-alpha.beta", "python"), Package("semverpkg", "1.0.0-beta.11", "python")]
    with VulnDB(tmp_path / "db.sqlite3") as db:
        result = match_packages(packages, db)
    assert [(m.package.version, m.record_id) for m in result.matches] == [("1.0.0-alpha.beta", "GHSA-semv-erpy-pi00")]
    assert not any("not comparable" in note or "skipped" in note for note in result.notes), result.notes
