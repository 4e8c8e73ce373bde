"""Runtimes installed outside any package database: the official images build Python, Node.js,
Ruby, PHP, httpd, redis … from source into /usr/local, unpack Go into /usr/local/go and a JDK
into /opt/java. They are found by version strings in their binaries and by well-known files
(GOROOT/VERSION, a JDK's `release`); see `runtime_rules` for each rule.

Content is asked for only for files with a rule's name, and for binaries only under a bin/ or
lib/ directory; the scan hands over at most the rule's cap of leading bytes, and only an ELF file
is searched. Versions are kept per file; `build` makes one package per (runtime, version) with
every file that showed it as a location.

Not double-reported: a runtime that the OS package database installed is that database's package
(a dpkg-installed python3.11 is the deb `python3.11-minimal`). The rule used here is the file's
place: when the image has a dpkg, apk or rpm database, files under the directories those managers
own (/usr/bin, /usr/lib, /bin, /lib … but not /usr/local or /opt) are taken as theirs.
"""

from __future__ import annotations

from packageurl import PackageURL

from dockopt.catalog.core import Cataloger, Context
from dockopt.catalog.model import BINARY, Package
from dockopt.catalog.runtime_rules import (BASENAMES, ELF_MAGIC, NAME_PREFIXES, OPENJDK, Runtime, cpe23, jvm_cpe_version,
                                           rules_for)

BINARY_DIRS = frozenset({"bin", "sbin", "lib", "lib64", "lib32", "libexec"})
OS_DATABASES = ("/var/lib/dpkg/status", "/var/lib/dpkg/status.d", "/lib/apk/db/installed",
                "/usr/lib/sysimage/rpm", "/var/lib/rpm")
OS_OWNED_DIRS = ("/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/bin/", "/usr/sbin/",
                 "/usr/lib/", "/usr/lib32/", "/usr/lib64/", "/usr/libx32/", "/usr/libexec/", "/usr/share/")


def in_binary_dir(path: str) -> bool:
    return any(part in BINARY_DIRS for part in path.split("/")[:-1])


def os_owned(path: str) -> bool:
    """Under a directory that only the OS package manager writes to (not /usr/local, /opt, /app …)."""
    return path.startswith(OS_OWNED_DIRS)


def has_os_database(ctx: Context) -> bool:
    fs = ctx.scan.fs
    return any(fs.get(p) is not None for p in OS_DATABASES)


def cpes_of(runtime: Runtime, version: str) -> tuple[str, ...]:
    if runtime is OPENJDK:
        short, update = jvm_cpe_version(version)
        return tuple(cpe23(v, p, short, update) for v, p in runtime.cpes)
    return tuple(cpe23(v, p, version) for v, p in runtime.cpes)


class RuntimeCataloger(Cataloger):
    name = "runtimes"
    basenames = BASENAMES
    name_prefixes = NAME_PREFIXES

    def wants(self, path, entry):
        base = path[path.rfind("/") + 1:]
        most = 0
        for rule in rules_for(base):
            if entry.size and (not rule.elf or in_binary_dir(path)):
                most = max(most, min(entry.size, rule.cap))
        return most

    def extract(self, path, data):
        base = path[path.rfind("/") + 1:]
        is_elf = data.startswith(ELF_MAGIC)
        found = []
        for rule in rules_for(base):
            if rule.elf != is_elf or (rule.elf and not in_binary_dir(path)):
                continue
            version = rule.find(data if len(data) <= rule.cap else data[:rule.cap], base)
            if version:
                found.append((rule, version))
        return found or None

    def build(self, ctx: Context) -> list[Package]:
        owned_by_os = has_os_database(ctx)
        grouped: dict[tuple[str, str], tuple[Runtime, list[tuple[str, str]], list[str]]] = {}
        for f in ctx.surviving(self.name):
            if owned_by_os and os_owned(f.path):
                continue
            for rule, version in f.value:
                runtime, locations, found_by = grouped.setdefault((rule.runtime.name, version),
                                                                  (rule.runtime, [], []))
                if (f.diff_id, f.path) not in locations:
                    locations.append((f.diff_id, f.path))
                if rule.found_by not in found_by:
                    found_by.append(rule.found_by)
        out = []
        for (name, version), (runtime, locations, found_by) in grouped.items():
            purl = PackageURL("generic", runtime.purl_namespace, name, version).to_string()
            out.append(Package(name=name, version=version, type=BINARY, purl=purl, locations=tuple(locations),
                               cpes=cpes_of(runtime, version), found_by=", ".join(found_by)))
        return out
