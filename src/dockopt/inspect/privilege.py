"""Privilege: setuid/setgid files your layers add or change, world-writable paths, running as
root, an exposed SSH port, and no HEALTHCHECK (info)."""

from __future__ import annotations

import hashlib
import posixpath

from dockopt.findings import Category, Finding, Location, Severity
from dockopt.image.model import EntryType, FileEntry
from dockopt.image.scan import LayerRef, ScanResult
from dockopt.inspect.checks import ImageCheck, first_index, layer_digest, layer_label

SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"}
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
STANDARD_SETUID = {"su", "sudo", "passwd", "chsh", "chfn", "newgrp", "gpasswd", "mount", "umount", "unix_chkpwd",
                   "expiry", "chage", "ping", "pkexec", "crontab", "ssh-agent", "wall", "write", "dotlockfile"}
"""Programs distributions ship setuid/setgid on purpose (a package your layers install may bring them)."""
ROOT_USERS = {"", "0", "root", "0:0", "root:root", "root:0", "0:root"}


BIN_DIRS = ("/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin")
SHELL_PATHS = frozenset(f"{folder}/{shell}" for folder in BIN_DIRS for shell in SHELLS)
MAX_HASHED = 8 << 20


class PrivilegeCheck(ImageCheck):
    """Also hashes shells and setuid files as they stream past, so a setuid *copy* of a shell
    under another name (`cp /bin/dash /usr/local/bin/x && chmod u+s`) is recognised."""

    family = "privilege"
    name = "privilege"

    def __init__(self) -> None:
        self.shell_digests: dict[str, str] = {}
        """sha256 of a shell binary -> its path."""
        self.setuid_digests: dict[tuple[int, str], str] = {}
        self._pending: list[tuple[LayerRef, str, str]] = []

    def entry(self, layer: LayerRef, entry: FileEntry) -> int:
        if entry.type is not EntryType.FILE or entry.size > MAX_HASHED:
            return 0
        return entry.size if entry.path in SHELL_PATHS or entry.mode & 0o6000 else 0

    def content(self, layer: LayerRef, entry: FileEntry, data: bytes) -> None:
        digest = hashlib.sha256(data).hexdigest()
        if entry.path in SHELL_PATHS:
            self.shell_digests.setdefault(digest, entry.path)
        if entry.is_setuid or entry.is_setgid:
            self._pending.append((layer, entry.path, digest))

    def _copy_of_shell(self, layer: int, path: str) -> str | None:
        for ref, p, digest in self._pending:
            if p == path and first_index(ref) == layer and digest in self.shell_digests:
                return self.shell_digests[digest]
        return None

    def findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        out = self._setuid(result, base_layers) + self._world_writable(result, base_layers)
        out += self._config(result)
        return out

    def _setuid(self, result: ScanResult, base_layers: int) -> list[Finding]:
        out = []
        for path, node in result.fs.nodes.items():
            entry = node.entry
            if not entry.mode & 0o6000 or entry.type is not EntryType.FILE:
                continue
            if node.layer < base_layers:
                continue  # the base image's standard setuid programs (passwd, su …) are its choice
            bits = " and ".join(b for b, on in (("setuid", entry.is_setuid), ("setgid", entry.is_setgid)) if on)
            copied_from = self._copy_of_shell(node.layer, path)
            shell = posixpath.basename(path) in SHELLS or copied_from is not None
            severity = Severity.CRITICAL if shell and entry.is_setuid and entry.uid == 0 else Severity.HIGH
            if not shell and posixpath.basename(path) in STANDARD_SETUID and posixpath.dirname(path) in (
                    "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/lib/openssh", "/usr/lib/dbus-1.0"):
                severity = Severity.LOW
            owner = "root" if entry.uid == 0 else f"uid {entry.uid}"
            what = "review whether it needs it"
            if severity is Severity.CRITICAL:
                what = (f"a copy of the shell {copied_from}" if copied_from else "a shell") + \
                    ": anyone who can run it gets a root shell"
            out.append(Finding(
                rule_id="privilege.setuid", severity=severity, category=Category.SECURITY,
                title="setuid/setgid file added by your layers",
                message=f"{path} is {bits} (owner {owner}, mode {entry.mode & 0o7777:04o}), set in "
                        f"{layer_label(result, node.layer, base_layers)}; {what} (chmod u-s,g-s)",
                location=Location(layer_index=node.layer, layer_digest=layer_digest(result, node.layer), path=path),
                details={"mode": f"{entry.mode & 0o7777:04o}", "uid": entry.uid, "setuid": entry.is_setuid,
                         "setgid": entry.is_setgid, "copy_of": copied_from}))
        return out

    def _world_writable(self, result: ScanResult, base_layers: int) -> list[Finding]:
        out = []
        for path, node in result.fs.nodes.items():
            entry = node.entry
            if entry.type not in (EntryType.FILE, EntryType.DIR) or not entry.mode & 0o002:
                continue
            if entry.type is EntryType.DIR and entry.mode & 0o1000:
                continue  # sticky directories (like /tmp) only let owners delete their files
            if any(path == t or path.startswith(t + "/") for t in TEMP_DIRS):
                continue
            from_base = node.layer < base_layers
            kind = "directory" if entry.type is EntryType.DIR else "file"
            out.append(Finding(
                rule_id="privilege.world-writable", severity=Severity.INFO if from_base else Severity.MEDIUM,
                category=Category.SECURITY, title="world-writable path",
                message=f"{kind} {path} is world-writable (mode {entry.mode & 0o7777:04o}), set in "
                        f"{layer_label(result, node.layer, base_layers)}; any user in the container can change it",
                location=Location(layer_index=node.layer, layer_digest=layer_digest(result, node.layer), path=path),
                details={"mode": f"{entry.mode & 0o7777:04o}", "from_base": from_base}))
        return out

    def _config(self, result: ScanResult) -> list[Finding]:
        config = result.image.config
        out = []
        user = config.user.strip()
        if user in ROOT_USERS:
            out.append(Finding(
                rule_id="privilege.root-user", severity=Severity.MEDIUM, category=Category.SECURITY,
                title="container runs as root",
                message=("no USER is set: the container runs as root" if not user else f"USER {user} runs as root")
                        + "; add a non-root USER (e.g. RUN useradd -r app && USER app)",
                details={"user": user or None}))
        ports = config.container_config.get("ExposedPorts") or {}
        if any(str(p).split("/")[0] == "22" for p in ports):
            out.append(Finding(
                rule_id="privilege.expose-ssh", severity=Severity.MEDIUM, category=Category.SECURITY,
                title="SSH port exposed", message="EXPOSE 22: an SSH server in a container is an extra way in; "
                                                  "use docker exec / kubectl exec instead", details={"ports": sorted(ports)}))
        health = config.container_config.get("Healthcheck") or {}
        if not health or health.get("Test") in (["NONE"], None, []):
            out.append(Finding(
                rule_id="privilege.no-healthcheck", severity=Severity.INFO, category=Category.CORRECTNESS,
                title="no HEALTHCHECK", message="no HEALTHCHECK: the engine cannot tell a hung container from a healthy one"))
        return out
