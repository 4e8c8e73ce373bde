"""Parsers and license normalisation on inputs written here (no engine needed)."""

from __future__ import annotations

from dockopt.catalog.dpkg import copyright_licenses, parse_control
from dockopt.catalog.golang import parse_modinfo, read_buildinfo
from dockopt.catalog.java import parse_manifest
from dockopt.catalog.licenses import from_classifier, normalise, normalise_one
from dockopt.catalog.npm import license_texts, npm_purl
from dockopt.catalog.python import canonical_name, parse_metadata


def test_license_normalisation():
    assert normalise_one("GPL-2+") == "GPL-2.0-or-later"
    assert normalise_one("GPL-2+ or Artistic") == "GPL-2.0-or-later OR Artistic-1.0-Perl"
    assert normalise_one("Expat") == "MIT"
    assert normalise_one("Apache 2.0") == "Apache-2.0"
    assert normalise_one("(MIT OR Apache-2.0)") == "MIT OR Apache-2.0"
    assert normalise_one("LGPL-2.1") == "LGPL-2.1-only"
    assert normalise_one("UNKNOWN") is None
    assert normalise_one("Some Custom Terms") == "Some Custom Terms"  # kept as text, not guessed
    assert normalise(["MIT", "mit", "Expat", None]) == ("MIT",)
    assert from_classifier("License :: OSI Approved :: MIT License") == "MIT"
    assert from_classifier("License :: OSI Approved") is None


def test_dpkg_control_and_copyright():
    stanzas = parse_control("Package: a\nVersion: 1\nDescription: x\n continued: not a field\n\nPackage: b\nVersion: 2\n")
    assert [s["Package"] for s in stanzas] == ["a", "b"]
    assert "continued" not in stanzas[0]
    dep5 = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
            "Files: *\nCopyright: x\nLicense: GPL-2+\n\nLicense: GPL-2+\n text\n")
    assert copyright_licenses(dep5) == ["GPL-2+", "GPL-2+"]
    assert copyright_licenses("This package was debianized by ...\nLicense: GPL\n") == []


def test_python_metadata():
    meta = parse_metadata("Metadata-Version: 2.4\nName: Foo_Bar\nVersion: 1.0\nLicense-Expression: MIT OR Apache-2.0\n"
                          "License: ignored\n\nlong description\nLicense: not a header\n")
    assert meta == {"name": "Foo_Bar", "version": "1.0", "licenses": ["MIT OR Apache-2.0"]}
    classified = parse_metadata("Name: x\nVersion: 2\nLicense: UNKNOWN\n"
                                "Classifier: License :: OSI Approved :: BSD License\n"
                                "Classifier: License :: OSI Approved :: Apache Software License\n")
    assert classified["licenses"] == ["BSD License", "Apache-2.0"]
    assert parse_metadata("Name: x\n") is None
    assert canonical_name("Foo_Bar.baz") == "foo-bar-baz"


def test_npm_helpers():
    assert npm_purl("@types/node", "20.1.0") == "pkg:npm/%40types/node@20.1.0"
    assert license_texts({"licenses": [{"type": "MIT"}, {"type": "Apache-2.0"}]}) == ["MIT", "Apache-2.0"]
    assert license_texts({"license": {"type": "BSD-3-Clause"}}) == ["BSD-3-Clause"]


def test_manifest_continuation_lines():
    text = "Manifest-Version: 1.0\r\nBundle-SymbolicName: org.example.a.very.long.na\r\n me;singleton:=true\r\n\r\nName: x\r\nA: b\r\n"
    m = parse_manifest(text)
    assert m["Bundle-SymbolicName"] == "org.example.a.very.long.name;singleton:=true"
    assert "A" not in m  # per-entry sections are not the main section


def test_go_modinfo_and_inline_buildinfo():
    mod = ("path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/a/b\tv1.0.0\th1:x=\n"
           "dep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgolang.org/x/net\tv0.2.0\th1:z=\nbuild\t-compiler=gc\n")
    assert parse_modinfo(mod) == [("mod", "example.com/app", "(devel)"), ("dep", "github.com/a/b", "v1.0.0"),
                                  ("dep", "golang.org/x/net", "v0.2.0")]
    # A minimal ELF-looking blob with a Go 1.18+ inline build-info header at a 16-byte boundary.
    version, sentinel = b"go1.21.5", b"0123456789abcdef"
    body = sentinel + mod.encode() + b"\n"[:0] + sentinel[:0]
    body = sentinel + mod.encode() + sentinel
    header = b"\xff Go buildinf:" + bytes([8, 2]) + b"\x00" * 16
    blob = b"\x7fELF" + b"\x00" * 12 + header + bytes([len(version)]) + version + _uvarint(len(body)) + body
    got = read_buildinfo(blob)
    assert got is not None and got[0] == "go1.21.5"
    assert got[1].startswith("path\texample.com/app") and got[1].endswith("h1:x=\n") is False
    assert read_buildinfo(b"not an elf" + header) is None


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
