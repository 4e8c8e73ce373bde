"""Ruby gems, PHP Composer, .NET deps.json and Rust (Cargo.lock, cargo-auditable audit data) on
`langs_image`: Debian's ruby + a locally built gem, Debian's composer installing from local path
repositories, a Composer 1 installed.json, a deps.json, a Cargo.lock and an ELF binary with a
`.dep-v0` section (see conftest for what is real and what is written in the tools' formats)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from dockopt.catalog.cargo import audit_data, audit_packages, lock_packages
from dockopt.catalog.catalog import Catalog, catalog_image
from dockopt.catalog.composer import installed_packages
from dockopt.catalog.gem import parse_gemspec
from dockopt.catalog.nuget import deps_packages
from dockopt.image.reference import open_source
from dockopt.vuln.ecosystems import lookups
from .conftest import (AUDIT_JSON, CARGO_AUDIT_PINS, CARGO_LOCK_PINS, COMPOSER_PINS, GEM_PIN, NUGET_PINS,
                       auditable_binary)

OSV_FIXTURES = Path(__file__).resolve().parent.parent / "vuln" / "data" / "osv"


def test_gemspec_as_rubygems_writes_it():
    text = ('# -*- encoding: utf-8 -*-\n# stub: rake 13.0.6 ruby lib\n\nGem::Specification.new do |s|\n'
            '  s.name = "rake".freeze\n  s.version = "13.0.6"\n  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2")\n'
            '  s.rubygems_version = "3.3.15".freeze\n  s.licenses = ["MIT".freeze, "Ruby".freeze]\nend\n')
    assert parse_gemspec(text) == {"name": "rake", "version": "13.0.6", "licenses": ["MIT", "Ruby"]}
    # a hand-written spec that computes its version is skipped, not guessed
    assert parse_gemspec("Gem::Specification.new do |s|\n  s.name = 'x'\n  s.version = X::VERSION\nend\n") is None


def test_composer_installed_json_both_forms():
    entry = {"name": "monolog/monolog", "version": "2.9.1", "license": ["MIT"]}
    assert installed_packages([entry]) == [{"name": "monolog/monolog", "version": "2.9.1", "licenses": ["MIT"]}]
    assert installed_packages({"packages": [entry], "dev": True}) == installed_packages([entry])
    assert installed_packages({"packages": [{"name": "no-vendor", "version": "1"}, 3, {"name": "a/b"}]}) == []


def test_deps_json_packages_only():
    doc = {"libraries": {"App/1.0.0": {"type": "project"}, "Serilog/2.10.0": {"type": "package"},
                         "mscorlib/4.0.0.0": {"type": "referenceassembly"}}}
    assert deps_packages(doc) == [("Serilog", "2.10.0")]


def test_cargo_lock_and_audit_data_keep_registry_crates():
    lock = ('version = 3\n[[package]]\nname = "app"\nversion = "0.1.0"\n\n[[package]]\nname = "libc"\n'
            'version = "0.2.139"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n\n'
            '[[package]]\nname = "forked"\nversion = "1.0.0"\nsource = "git+https://example.invalid/f#abc"\n')
    assert lock_packages(lock) == [("libc", "0.2.139")]
    # the local root crate and the build-time-only `cc` are not reported
    assert audit_packages(json.loads(AUDIT_JSON)) == [("regex", "1.5.4"), ("aho-corasick", "0.7.18")]


def test_audit_section_read_from_elf(tmp_path):
    binary = auditable_binary(tmp_path)
    assert json.loads(audit_data(binary)) == json.loads(AUDIT_JSON)
    assert audit_data(Path("/bin/true").read_bytes()) is None
    bomb = tmp_path / "bomb"
    bomb.write_bytes(zlib.compress(b" " * (9 << 20)))
    import subprocess

    subprocess.run(["objcopy", "--add-section", f".dep-v0={bomb}", "/bin/true", str(tmp_path / "b")], check=True)
    with pytest.raises(ValueError, match="more than"):
        audit_data((tmp_path / "b").read_bytes())


pytestmark_engine = pytest.mark.engine


@pytest.fixture(scope="module")
def langs(langs_image) -> Catalog:
    return catalog_image(open_source(f"docker:{langs_image}"))


def by_name(catalog: Catalog, kind: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for p in catalog.packages:
        if p.type == kind:
            out.setdefault(p.name, []).append(p)
    return out


@pytestmark_engine
def test_ruby_gems(langs, langs_image, docker_client):
    gems = by_name(langs, "gem")
    rack = gems[GEM_PIN[0]][0]
    assert rack.version == GEM_PIN[1] and rack.purl == "pkg:gem/rack@2.0.1" and rack.licenses == ("MIT",)
    assert rack.locations[0][1] == "/var/lib/gems/3.1.0/specifications/rack-2.0.1.gemspec"
    assert rack.owned_by is None and lookups(rack) == [("RubyGems", "rack", "2.0.1")]
    # The oracle: RubyGems itself lists every gem it knows (default, bundled, Debian's and ours).
    out = docker_client.containers.run(langs_image, ["gem", "list", "--local", "--quiet"], remove=True,
                                       network_mode="none", labels={"dockopt.test": "1"}).decode()
    expected = set()
    for line in out.splitlines():  # `name (1.2.3, default: 4.5.6)`
        name, _, versions = line.partition(" (")
        for v in versions.rstrip(")").split(", "):
            expected.add((name, v.replace("default: ", "")))
    assert {(n, p.version) for n, ps in gems.items() for p in ps} == expected
    # Debian's ruby-* gems (rubygems-integration) and libruby's default gems are dpkg-owned.
    rake = next(p for p in gems["rake"] if p.locations[0][1].startswith("/usr/share/rubygems-integration/"))
    assert rake.owned_by and rake.owned_by.startswith("pkg:deb/debian/rake@")
    assert all(p.owned_by for ps in gems.values() for p in ps if p is not rack)  # only the local gem is not
    defaults = [p for ps in gems.values() for p in ps if "/specifications/default/" in p.locations[0][1]]
    assert defaults and all(p.owned_by and "libruby3.1" in p.owned_by for p in defaults)


@pytestmark_engine
def test_composer_packages(langs):
    php = by_name(langs, "composer")
    for name, version in COMPOSER_PINS.items():
        p = php[name][0]
        assert p.version == version and p.locations[0][1] == "/src/php/app/vendor/composer/installed.json"
        vendor, short = name.split("/")
        assert p.purl == f"pkg:composer/{vendor}/{short}@{version}"
    assert php["acme/greeter"][0].licenses == ("MIT",) and php["acme/strings"][0].licenses == ("Apache-2.0",)
    legacy = php["legacy/logger"][0]  # the Composer 1 list form
    assert legacy.version == "1.0.2" and legacy.licenses == ("BSD-3-Clause",)
    assert lookups(legacy) == [("Packagist", "legacy/logger", "1.0.2")]


@pytestmark_engine
def test_nuget_packages(langs):
    nuget = by_name(langs, "nuget")
    assert {n: ps[0].version for n, ps in nuget.items()} == NUGET_PINS  # the project entry is not a package
    assert nuget["Newtonsoft.Json"][0].purl == "pkg:nuget/Newtonsoft.Json@12.0.1"
    assert lookups(nuget["Newtonsoft.Json"][0]) == [("NuGet", "Newtonsoft.Json", "12.0.1")]


@pytestmark_engine
def test_rust_crates(langs):
    crates = [p for p in langs.packages if p.type == "cargo"]
    from_lock = {p.name: p.version for p in crates if p.locations[0][1] == "/src/rust/Cargo.lock"}
    assert from_lock == CARGO_LOCK_PINS  # the path crate `rusty` is the project itself
    from_binary = {p.name: p.version for p in crates if p.locations[0][1] == "/usr/local/bin/rusty-bin"}
    assert from_binary == CARGO_AUDIT_PINS
    assert next(p for p in crates if p.name == "regex").purl == "pkg:cargo/regex@1.5.4"


@pytestmark_engine
def test_scan_matches_the_local_rack_gem(langs_image, dockopt, tmp_path):
    from dockopt.vuln.importer import import_paths

    db = tmp_path / "osv.sqlite3"
    import_paths(db, [OSV_FIXTURES])
    out = dockopt("scan", "--db", str(db), "--format", "json", "-q", f"docker:{langs_image}")
    assert out.returncode == 0, out.stderr
    rack = [m for m in json.loads(out.stdout)["matches"] if m["id"] == "GHSA-test-rack"]
    assert [m["package"]["version"] for m in rack] == ["2.0.1"]
