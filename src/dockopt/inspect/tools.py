"""Tools an attacker would use, left in the final filesystem: compilers and toolchains, download
and network tools, package managers, shells.

The package database (dpkg, apk) names the package and the layer that installed it; files not
owned by any package are reported by path. Tools from the base image are info (pick a slimmer
base); tools your layers add are graded by kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dockopt.findings import Category, Finding, Location, Severity
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.scan import LayerRef, ScanResult
from dockopt.inspect.checks import ImageCheck, first_index, layer_digest, layer_label
from dockopt.inspect.pkgdb import (
    APK_INSTALLED,
    DPKG_STATUS,
    apk_installed,
    dpkg_installed,
    dpkg_list_owner,
    usr_aliases,
)

BIN_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")
BIN_PREFIXES = ("/bin/", "/sbin/", "/usr/")
"""Every path in BIN_DIRS starts with one of these: a cheap first test."""


@dataclass(frozen=True)
class ToolKind:
    name: str
    title: str
    severity: Severity
    """Severity when your layers add it (the base's own tools are info)."""
    binaries: re.Pattern[str]
    packages: re.Pattern[str]
    advice: str


KINDS = (
    ToolKind("compiler", "compilers and build toolchains", Severity.HIGH,
             re.compile(r"^(?:[\w]+-linux-gnu-)?(?:gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|tcc|make|gmake|cmake|ld|"
                        r"ld\.bfd|ld\.gold|as|rustc|cargo|javac)(?:-\d+(?:\.\d+)?)?$"),
             re.compile(r"^(?:gcc|g\+\+|cpp|clang|llvm)(?:-\d+)?$|^(?:make|cmake|binutils|build-essential|build-base|"
                        r"golang(?:-go)?|rustc|cargo|musl-dev)$|-dev$"),
             "build in an earlier stage and copy only the result (multi-stage build)"),
    ToolKind("network", "network tools", Severity.MEDIUM,
             re.compile(r"^(?:nc|ncat|netcat|nc\.openbsd|nc\.traditional|socat|ssh|sshd|scp|sftp|telnet|nmap|ftp|tftp)$"),
             re.compile(r"^(?:netcat(?:-openbsd|-traditional)?|ncat|socat|openssh-(?:client|server)|openssh|dropbear|"
                        r"telnet|nmap|inetutils-.*)$"),
             "remove them from the final image"),
    ToolKind("download", "download tools", Severity.MEDIUM,
             re.compile(r"^(?:curl|wget|aria2c)$"), re.compile(r"^(?:curl|wget|aria2)$"),
             "download in a build stage, or remove them after use in the same RUN"),
    ToolKind("package-manager", "package managers", Severity.LOW,
             re.compile(r"^(?:apt|apt-get|dpkg|apk|dnf|yum|microdnf|rpm|pip|pip3(?:\.\d+)?|npm|yarn|pnpm|gem)$"),
             re.compile(r"^(?:apt|dpkg|apk-tools|dnf|yum|microdnf|rpm|python3?-pip|npm|yarnpkg|rubygems)$"),
             "use a runtime-only base (distroless, slim) or a multi-stage build"),
    ToolKind("shell", "shells", Severity.LOW,
             re.compile(r"^(?:sh|bash|dash|ash|zsh|ksh|mksh|csh|tcsh|fish)$"),
             re.compile(r"^(?:bash|dash|zsh|ksh|mksh|tcsh|fish)$"),
             "a shell-less runtime base leaves an intruder nothing to run"),
)


def kind_of_binary(path: str) -> ToolKind | None:
    folder, _, name = path.rpartition("/")
    if folder not in BIN_DIRS:
        return None
    return next((k for k in KINDS if k.binaries.match(name)), None)


def kind_of_package(name: str) -> ToolKind | None:
    return next((k for k in KINDS if k.packages.search(name)), None)


@dataclass
class ToolsCheck(ImageCheck):
    status: list[tuple[LayerRef, str]] = field(default_factory=list)
    """Every stored version of the dpkg status / apk installed database, with its layer."""
    lists: dict[tuple[str, str], str] = field(default_factory=dict)
    """(blob key, path) -> content of dpkg `.list` files that own a tool binary."""

    family = "tools"
    name = "tools"

    def entry(self, layer: LayerRef, entry: FileEntry) -> int:
        if entry.type is not EntryType.FILE or not entry.path.startswith(("/var/lib/dpkg/", "/lib/apk/")):
            return 0
        if entry.path in (DPKG_STATUS, APK_INSTALLED):
            return entry.size
        owner = dpkg_list_owner(entry.path)
        if owner and kind_of_package(owner) is not None:
            return entry.size
        return 0

    def content(self, layer: LayerRef, entry: FileEntry, data: bytes) -> None:
        text = data.decode("utf-8", errors="replace")
        if entry.path in (DPKG_STATUS, APK_INSTALLED):
            self.status.append((layer, text if entry.path == DPKG_STATUS else "apk:" + text))
        else:
            self.lists[(layer.key, entry.path)] = text

    def _packages(self, result: ScanResult) -> tuple[dict[str, int], dict[str, str]]:
        """Installed packages -> the layer that first listed them; path -> owning package."""
        first_seen: dict[str, int] = {}
        owners: dict[str, str] = {}
        final = {p: result.fs.get(p) for p in (DPKG_STATUS, APK_INSTALLED)}
        for ref, text in sorted(self.status, key=lambda item: first_index(item[0])):
            index = first_index(ref)
            if text.startswith("apk:"):
                names, apk_owners = apk_installed(text[4:])
                node = final[APK_INSTALLED]
                if node is not None and node.layer == index:
                    owners.update(apk_owners)
            else:
                names = dpkg_installed(text)
            for name in names:
                first_seen.setdefault(name, index)
        # Only the final database counts for "installed now".
        final_names: set[str] = set()
        for ref, text in self.status:
            for path, node in final.items():
                if node is not None and node.layer == first_index(ref) and text.startswith("apk:") == (path == APK_INSTALLED):
                    final_names.update(apk_installed(text[4:])[0] if path == APK_INSTALLED else dpkg_installed(text))
        for (key, path), text in self.lists.items():
            node = result.fs.get(path)
            pkg = dpkg_list_owner(path)
            if node is None or pkg not in final_names:
                continue
            for line in text.splitlines():
                if line.strip():
                    for alias in usr_aliases(line.strip()):
                        owners[alias] = pkg
        return {n: i for n, i in first_seen.items() if n in final_names}, owners

    def findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        packages, owners = self._packages(result)
        groups: dict[tuple[str, int], list[str]] = {}
        paths: dict[tuple[str, int], list[str]] = {}
        for name, index in packages.items():
            kind = kind_of_package(name)
            if kind is not None:
                groups.setdefault((kind.name, index), []).append(name)
        for path, node in result.fs.nodes.items():
            if not path.startswith(BIN_PREFIXES) or node.entry.type in (EntryType.DIR, EntryType.WHITEOUT,
                                                                         EntryType.OPAQUE):
                continue
            kind = kind_of_binary(path)
            if kind is None or any(a in owners for a in usr_aliases(path)):
                continue
            paths.setdefault((kind.name, node.layer), []).append(path)
        out = []
        for kind in KINDS:
            for index in sorted({i for (k, i) in list(groups) + list(paths) if k == kind.name}):
                pkgs = sorted(groups.get((kind.name, index), []))
                files = sorted(paths.get((kind.name, index), []))
                from_base = index < base_layers
                what = ", ".join([f"package {p}" for p in pkgs[:8]] + files[:8])
                more = len(pkgs) + len(files) - min(len(pkgs), 8) - min(len(files), 8)
                what += f" and {more} more" if more > 0 else ""
                advice = "it comes with the base image; a slimmer base avoids it" if from_base else kind.advice
                out.append(Finding(
                    rule_id=f"tools.{kind.name}", severity=Severity.INFO if from_base else kind.severity,
                    category=Category.SECURITY, title=f"{kind.title} in the final image",
                    message=f"{kind.title} from {layer_label(result, index, base_layers)}: {what}; {advice}",
                    location=Location(layer_index=index, layer_digest=layer_digest(result, index),
                                      path=files[0] if files and not pkgs else None),
                    details={"packages": pkgs, "paths": files, "from_base": from_base}))
        return out
