"""From packages to OSV ecosystems, package names and version schemes.

OSV names an ecosystem `PyPI`, `npm`, `Go`, `Maven`, `crates.io`, `RubyGems`, and distro
releases as `Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `AlmaLinux:9` … Distro advisories
name *source* packages, so dpkg and apk packages are looked up by their source package.
"""

from __future__ import annotations

import re

from dockopt.catalog.model import Package

# OSV ecosystem (the part before the first ":") -> version scheme of its ECOSYSTEM ranges.
SCHEME_OF_ECOSYSTEM = {
    "Debian": "debian",
    "Ubuntu": "debian",
    "Alpine": "alpine",
    "Wolfi": "alpine",
    "Chainguard": "alpine",
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "Red Hat": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "openEuler": "rpm",
    "PyPI": "pep440",
    "npm": "semver",
    "Go": "semver",
    "crates.io": "semver",
    "Maven": "maven",
    "RubyGems": "rubygems",
}

# Package type -> OSV ecosystem, for types that do not depend on the distro.
LANGUAGE_ECOSYSTEMS = {
    "python": "PyPI",
    "npm": "npm",
    "go": "Go",
    "java": "Maven",
    "cargo": "crates.io",
    "gem": "RubyGems",
}

# Binary runtimes (type "binary", catalog/runtimes.py) that an OSV ecosystem covers, by package
# name: the Go toolchain is the Go ecosystem's `stdlib` (the standard library it compiles into every
# program) and `toolchain` (the go command itself, cmd/go records). The others have no OSV ecosystem for
# upstream builds (their advisories are CVEs, found by CPE), so they are not looked up at all;
# in particular never under the distro, whose `nginx` is a different, patched package.
RUNTIME_ECOSYSTEMS: dict[str, tuple[tuple[str, str], ...]] = {
    "go": (("Go", "stdlib"), ("Go", "toolchain")),
}

# purl type -> package type.
PURL_TYPES = {
    "deb": "deb",
    "apk": "apk",
    "rpm": "rpm",
    "pypi": "python",
    "npm": "npm",
    "golang": "go",
    "maven": "java",
    "cargo": "cargo",
    "gem": "gem",
    "generic": "binary",
}

_PYPI_SEPARATORS = re.compile(r"[-_.]+")


def base_ecosystem(ecosystem: str) -> str:
    return ecosystem.split(":", 1)[0]


def scheme_for(ecosystem: str) -> str | None:
    return SCHEME_OF_ECOSYSTEM.get(base_ecosystem(ecosystem))


def normalize_name(ecosystem: str, name: str) -> str:
    """The form names are stored and looked up in: PyPI names per PEP 503, others as given."""
    base = base_ecosystem(ecosystem)
    if base == "PyPI":
        return _PYPI_SEPARATORS.sub("-", name).lower()
    return name


def distro_ecosystems(distro_id: str | None, distro_version: str | None) -> list[str]:
    """OSV ecosystems of a distro release, most specific first; empty when unknown."""
    if not distro_id:
        return []
    distro = distro_id.lower()
    version = (distro_version or "").strip()
    major = version.split(".", 1)[0]
    if distro == "debian" and major.isdigit():
        return [f"Debian:{major}"]
    if distro == "ubuntu" and version:
        return [f"Ubuntu:{version}:LTS", f"Ubuntu:{version}", f"Ubuntu:Pro:{version}:LTS"]
    if distro == "alpine" and version:
        minor = ".".join(version.split(".")[:2])
        return [f"Alpine:v{minor}"]
    if distro == "wolfi":
        return ["Wolfi"]
    if distro == "chainguard":
        return ["Chainguard"]
    if distro == "almalinux" and major:
        return [f"AlmaLinux:{major}"]
    if distro == "rocky" and major:
        return [f"Rocky Linux:{major}"]
    if distro == "mageia" and major:
        return [f"Mageia:{major}"]
    if distro == "openeuler" and version:
        return [f"openEuler:{version}"]
    return []


def lookups(package: Package) -> list[tuple[str, str, str]]:
    """(OSV ecosystem, name as stored, version to compare) to look the package up under."""
    if package.type in LANGUAGE_ECOSYSTEMS:
        ecosystem = LANGUAGE_ECOSYSTEMS[package.type]
        return [(ecosystem, normalize_name(ecosystem, package.name), package.version)]
    if package.type == "binary":
        return [(ecosystem, name, package.version) for ecosystem, name in RUNTIME_ECOSYSTEMS.get(package.name, ())]
    ecosystems = distro_ecosystems(package.distro_id, package.distro_version)
    if package.type in ("deb", "apk"):
        # Distro advisories name source packages and their versions (binNMUs like +b1 aside).
        name = package.source_name or package.name
        version = package.source_version or package.version
    else:
        name, version = package.name, package.version
    return [(ecosystem, name, version) for ecosystem in ecosystems]
