"""`dockopt sbom`: every format through the real CLI; CycloneDX and SPDX checked by their own validators."""

from __future__ import annotations

import json
import pytest

pytestmark = pytest.mark.engine


def test_cyclonedx_valid_and_complete(dockopt, apps_image, tmp_path):
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    out = tmp_path / "bom.json"
    proc = dockopt("sbom", f"docker:{apps_image}", "--format", "cyclonedx-json", "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    comps = bom["components"]
    assert comps and all(c.get("purl") for c in comps)
    purls = {c["purl"] for c in comps}
    assert "pkg:pypi/requests@2.25.1" in purls and "pkg:npm/lodash@4.17.20" in purls
    assert any(p.startswith("pkg:deb/debian/jq@") for p in purls)
    assert bom["metadata"]["component"]["type"] == "container"


def test_spdx_valid(dockopt, apps_image, tmp_path):
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    out = tmp_path / "sbom.spdx.json"
    proc = dockopt("sbom", f"docker:{apps_image}", "--format", "spdx-json", "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    doc = parse_file(str(out))
    assert validate_full_spdx_document(doc) == []
    raw = json.loads(out.read_text())
    assert raw["spdxVersion"] == "SPDX-2.3"
    refs = [r["referenceLocator"] for p in raw["packages"] for r in p.get("externalRefs", ())]
    assert "pkg:pypi/urllib3@1.26.4" in refs
    # licenses that are not SPDX expressions are declared as LicenseRef- with their text
    extracted = {e["licenseId"] for e in raw.get("hasExtractedLicensingInfos", ())}
    declared = " ".join(p["licenseDeclared"] for p in raw["packages"])
    assert all(e in declared for e in extracted)


def test_spdx_validator_catches_a_broken_document(tmp_path):
    """Negative control: the validator used above rejects an invalid license expression, naming
    both unknown ids and the package; the same document with a valid expression passes."""
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    def validate(expression: str) -> list:
        doc = {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
               "documentNamespace": "https://example.invalid/x",
               "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: t"]},
               "packages": [{"SPDXID": "SPDXRef-P", "name": "p", "downloadLocation": "NOASSERTION",
                             "licenseDeclared": expression}]}
        path = tmp_path / "doc.spdx.json"
        path.write_text(json.dumps(doc))
        return validate_full_spdx_document(parse_file(str(path)))

    messages = validate("GPL-2+ or Artistic")
    assert [(m.validation_message.split(".")[0], m.context.parent_id) for m in messages] == [
        ("Unrecognized license reference: GPL-2+", "SPDXRef-P"),
        ("Unrecognized license reference: Artistic", "SPDXRef-P")]
    assert validate("GPL-2.0-or-later OR Artistic-2.0") == []


def test_json_and_table(dockopt, synthetic_image):
    proc = dockopt("sbom", f"docker:{synthetic_image}", "--format", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema_version"] == 1
    assert data["summary"] == {"apk": 3, "deb": 1, "npm": 2, "python": 3, "rpm": 1}
    assert "Berkeley DB" in proc.stderr  # notes go to stderr so stdout stays machine-readable
    table = dockopt("sbom", f"docker:{synthetic_image}", "-q")
    assert table.returncode == 0
    assert "dockopt-demo" in table.stdout and "10 packages" in table.stdout


def test_docker_archive_source(dockopt, synthetic_image, docker_client, tmp_path):
    archive = tmp_path / "img.tar"
    with open(archive, "wb") as fh:
        for chunk in docker_client.images.get(synthetic_image).save(named=True):
            fh.write(chunk)
    proc = dockopt("sbom", f"docker-archive:{archive}", "--format", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["summary"]["rpm"] == 1


def test_bad_image_is_one_line_exit_2_and_no_file(dockopt, tmp_path):
    out = tmp_path / "never.json"
    missing = tmp_path / "missing.tar"
    proc = dockopt("sbom", f"docker-archive:{missing}", "--format", "cyclonedx-json", "-o", str(out))
    assert proc.returncode == 2
    assert proc.stderr.startswith("dockopt: error:") and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_format_is_usage_error(dockopt):
    proc = dockopt("sbom", "docker:whatever", "--format", "xml")
    assert proc.returncode == 2
    assert "xml" in proc.stderr
