"""The package record every cataloger produces and every consumer (SBOM writers, the
vulnerability matcher, policy) reads. Plain and frozen so it can be hashed, cached and shared."""

from __future__ import annotations

from dataclasses import dataclass

# Package types. Catalogers use these strings; the matcher maps them to OSV ecosystems.
DEB = "deb"
APK = "apk"
RPM = "rpm"
PYTHON = "python"
NPM = "npm"
JAVA = "java"
GO = "go"
CARGO = "cargo"
GEM = "gem"
BINARY = "binary"
"""A runtime found by its version string or a well-known file, outside any package database."""


@dataclass(frozen=True)
class Package:
    name: str
    """Name as the package manager knows it (binary package name for dpkg; `group:artifact` for Java)."""
    version: str
    """Installed version, exactly as recorded (dpkg `1:2.3-4`, rpm `[epoch:]version-release`, Go `v1.2.3`)."""
    type: str
    """One of deb, apk, rpm, python, npm, java, go, cargo, gem, binary."""
    purl: str | None = None
    """Package URL (https://github.com/package-url/purl-spec), when known."""
    licenses: tuple[str, ...] = ()
    """SPDX license expressions (or free text when it could not be normalised)."""
    source_name: str | None = None
    """dpkg `Source:` / apk `origin` / rpm source package name: what distro advisories name."""
    source_version: str | None = None
    """Version of the source package, when it differs from `version` (dpkg binNMUs)."""
    distro_id: str | None = None
    """os-release ID of the image the package belongs to: debian, ubuntu, alpine, rhel …"""
    distro_version: str | None = None
    """os-release VERSION_ID: 12, 22.04, 3.19.1 …"""
    locations: tuple[tuple[str, str], ...] = ()
    """Where it was found: (layer diff-ID, absolute path) pairs."""
    from_base: bool | None = None
    """True when it comes from the base image's layers, False from the user's layers, None unknown."""
    cpes: tuple[str, ...] = ()
    """CPE 2.3 names (NVD's vendor:product), for packages that have no package-manager identity."""
    found_by: str | None = None
    """Which detector found it (e.g. `python-binary-lib`), where the evidence is a file's content."""
