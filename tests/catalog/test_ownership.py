"""Language packages installed by an OS package (issue 10, defect 8).

`apps_image` is Debian + `apt-get install python3-pip` (pip 23.0.1's dist-info under
/usr/lib/python3/dist-packages, listed in /var/lib/dpkg/info/python3-pip.list) + `pip install
--break-system-packages` of pinned old packages (not owned). `synthetic_image` carries an apk
database whose F:/R: lines and an rpmdb whose file list claim a dist-info each.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockopt.catalog.catalog import catalog_image
from dockopt.catalog.model import Package
from dockopt.catalog.ownership import LanguagePaths, mark_owned
from dockopt.catalog.registry import default_catalogers
from dockopt.image.reference import open_source
from .conftest import APK_OWNED_METADATA, PIP_PINS, RPM_OWNED_METADATA

OSV_FIXTURES = Path(__file__).resolve().parent.parent / "vuln" / "data" / "osv"
DEBIAN_PIP = "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA"


def test_language_paths_keep_only_what_a_language_cataloger_could_find():
    keep = LanguagePaths(c for c in default_catalogers() if not c.file_lists)
    assert keep("/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA")
    assert keep("/usr/share/nodejs/acorn/package.json")
    assert keep("/usr/share/java/commons-io.jar")
    assert keep("/usr/bin/docker")  # Go binaries: the program directories are kept
    assert not keep("/usr/share/doc/python3-pip/copyright")
    assert not keep("/usr/lib/python3/dist-packages/pip/__init__.py")


def test_mark_owned_uses_the_owner_purl_and_leaves_os_packages_alone():
    deb = Package("python3-pip", "23.0.1+dfsg-1", "deb", purl="pkg:deb/debian/python3-pip@23.0.1%2Bdfsg-1")
    pip = Package("pip", "23.0.1", "python", locations=(("sha256:x", DEBIAN_PIP),))
    free = Package("requests", "2.25.1", "python", locations=(("sha256:x", "/usr/local/lib/x/METADATA"),))
    jar = Package("a:b", "1", "java", locations=(("sha256:x", "/usr/share/java/app.war:WEB-INF/lib/b.jar"),))
    app = Package("app", "1", "deb", purl="pkg:deb/debian/app@1")
    owners = {DEBIAN_PIP: ("deb", "python3-pip"), "/usr/share/java/app.war": ("deb", "app"),
              "/gone": ("deb", "not-installed")}
    out = {p.name: p for p in mark_owned([deb, pip, free, jar, app], owners)}
    assert out["pip"].owned_by == deb.purl
    assert out["a:b"].owned_by == app.purl  # a nested jar belongs to whoever installed the outer archive
    assert out["requests"].owned_by is None and out["python3-pip"].owned_by is None


pytestmark_engine = pytest.mark.engine


@pytest.fixture(scope="module")
def apps(apps_image):
    return catalog_image(open_source(f"docker:{apps_image}"))


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    from dockopt.vuln.importer import import_paths

    path = tmp_path_factory.mktemp("owned-db") / "osv.sqlite3"
    import_paths(path, [OSV_FIXTURES])
    return path


@pytestmark_engine
def test_debian_pip_is_owned_by_python3_pip_and_pip_installed_ones_are_not(apps):
    py = {(p.name, p.locations[0][1]): p for p in apps.packages if p.type == "python"}
    pip = py[("pip", DEBIAN_PIP)]
    deb = next(p for p in apps.packages if p.type == "deb" and p.name == "python3-pip")
    assert pip.owned_by == deb.purl and deb.purl.startswith("pkg:deb/debian/python3-pip@23.0.1")
    for name in PIP_PINS:
        mine = [p for (n, _), p in py.items() if n == name]
        assert mine and all(p.owned_by is None for p in mine), name
    # Debian's other python3-* modules are owned too (python3-setuptools, python3-wheel …)
    assert all(p.owned_by for (n, path), p in py.items() if path.startswith("/usr/lib/python3/dist-packages/"))


@pytestmark_engine
def test_sbom_states_the_ownership(apps_image, dockopt, tmp_path):
    cdx = tmp_path / "bom.json"
    assert dockopt("sbom", f"docker:{apps_image}", "--format", "cyclonedx-json", "-o", str(cdx), "-q").returncode == 0
    bom = json.loads(cdx.read_text())
    comps = {c["bom-ref"]: c for c in bom["components"]}
    pip_ref = next(r for r, c in comps.items() if c["name"] == "pip")
    owner_ref = next(r for r, c in comps.items() if c["name"] == "python3-pip")
    props = {p["name"]: p["value"] for p in comps[pip_ref]["properties"]}
    assert props["dockopt:owned-by"] == comps[owner_ref]["purl"]
    deps = {d["ref"]: d.get("dependsOn", []) for d in bom["dependencies"]}
    assert pip_ref in deps[owner_ref]
    requests_ref = next(r for r, c in comps.items() if c["name"] == "requests")
    assert not any(requests_ref in v for k, v in deps.items() if k != "image")

    spdx = tmp_path / "sbom.spdx.json"
    assert dockopt("sbom", f"docker:{apps_image}", "--format", "spdx-json", "-o", str(spdx), "-q").returncode == 0
    doc = json.loads(spdx.read_text())
    ids = {p["name"]: p["SPDXID"] for p in doc["packages"]}
    assert {"spdxElementId": ids["python3-pip"], "relationshipType": "CONTAINS",
            "relatedSpdxElement": ids["pip"]} in doc["relationships"]

    native = json.loads(dockopt("sbom", f"docker:{apps_image}", "--format", "json", "-q").stdout)
    owned = {p["name"]: p["owned_by"] for p in native["packages"] if p["type"] == "python"}
    assert owned["pip"].startswith("pkg:deb/debian/python3-pip@") and owned["requests"] is None


@pytestmark_engine
def test_scan_matches_owned_packages_through_the_os_package_by_default(apps_image, db, dockopt, tmp_path):
    default = dockopt("scan", "--db", str(db), "--format", "json", "-q", f"docker:{apps_image}")
    assert default.returncode == 0, default.stderr
    ids = {m["id"] for m in json.loads(default.stdout)["matches"]}
    assert "PYSEC-2023-228" not in ids  # Debian's pip 23.0.1: PyPI's record does not apply
    assert "GHSA-j8r2-6x86-q33q" in ids  # requests 2.25.1 from pip is matched as ever
    assert "matched through their OS package only" in default.stderr

    both = dockopt("scan", "--db", str(db), "--format", "json", "-q", "--match-owned", f"docker:{apps_image}")
    matches = {m["id"]: m for m in json.loads(both.stdout)["matches"]}
    assert matches["PYSEC-2023-228"]["package"]["version"] == "23.0.1"
    assert matches["PYSEC-2023-228"]["package"]["locations"][0]["path"] == DEBIAN_PIP
    assert "GHSA-j8r2-6x86-q33q" in matches

    (tmp_path / ".dockopt.yaml").write_text("scan:\n  match-owned: true\n")
    by_config = dockopt("scan", "--db", str(db), "--format", "json", "-q", f"docker:{apps_image}", cwd=tmp_path)
    assert "PYSEC-2023-228" in {m["id"] for m in json.loads(by_config.stdout)["matches"]}
    (tmp_path / ".dockopt.yaml").write_text("scan:\n  match-owned: 'yes'\n")
    bad = dockopt("scan", "--db", str(db), "-q", f"docker:{apps_image}", cwd=tmp_path)
    assert bad.returncode == 2 and "scan.match-owned" in bad.stderr and "Traceback" not in bad.stderr


@pytestmark_engine
def test_apk_and_rpm_file_lists_own_their_dist_info(synthetic_image):
    cat = catalog_image(open_source(f"docker:{synthetic_image}"))
    py = {p.name: p for p in cat.packages if p.type == "python"}
    apk = next(p for p in cat.packages if p.type == "apk" and p.name == "py3-apkdemo")
    rpm = next(p for p in cat.packages if p.type == "rpm" and p.name == "dockopt-demo")
    assert py["apkdemo"].locations[0][1] == APK_OWNED_METADATA and py["apkdemo"].owned_by == apk.purl
    assert py["rpmdemo"].locations[0][1] == RPM_OWNED_METADATA and py["rpmdemo"].owned_by == rpm.purl
    assert py["free"].owned_by is None


@pytestmark_engine
@pytest.mark.parametrize("fmt", ["cyclonedx-json", "spdx-json"])
def test_scan_sbom_reads_the_ownership_back(apps_image, db, dockopt, tmp_path, fmt):
    sbom = tmp_path / "sbom.json"
    assert dockopt("sbom", f"docker:{apps_image}", "--format", fmt, "-o", str(sbom), "-q").returncode == 0
    default = dockopt("scan", "--db", str(db), "--format", "json", "--sbom", str(sbom))
    ids = {m["id"] for m in json.loads(default.stdout)["matches"]}
    assert "PYSEC-2023-228" not in ids and "GHSA-j8r2-6x86-q33q" in ids
    both = dockopt("scan", "--db", str(db), "--format", "json", "--match-owned", "--sbom", str(sbom))
    assert "PYSEC-2023-228" in {m["id"] for m in json.loads(both.stdout)["matches"]}


def test_syft_spdx_ownership_relationship_is_honoured():
    from dockopt.vuln.sbom_ownership import mark_sbom_owned

    doc = {"spdxVersion": "SPDX-2.3", "packages": [
        {"SPDXID": "SPDXRef-a", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/python3-pip@23.0.1"}]},
        {"SPDXID": "SPDXRef-b", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:pypi/pip@23.0.1"}]},
        {"SPDXID": "SPDXRef-c", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:pypi/six@1.16.0"}]}],
        "relationships": [
            {"spdxElementId": "SPDXRef-a", "relationshipType": "OTHER", "relatedSpdxElement": "SPDXRef-b",
             "comment": "ownership-by-file-overlap: indicates that the parent package claims ownership of a child package"},
            {"spdxElementId": "SPDXRef-c", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-b"}]}
    packages = [Package("pip", "23.0.1", "python", purl="pkg:pypi/pip@23.0.1"),
                Package("six", "1.16.0", "python", purl="pkg:pypi/six@1.16.0")]
    mark_sbom_owned(packages, doc)
    assert packages[0].owned_by == "pkg:deb/debian/python3-pip@23.0.1" and packages[1].owned_by is None
