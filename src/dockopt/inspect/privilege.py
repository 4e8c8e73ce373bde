"""Privilege: setuid/setgid files your layers add or change, world-writable paths, running as
root, an exposed SSH port, and no HEALTHCHECK (info)."""

from __future__ import annotations

import posixpath

from dockopt.findings import Category, Finding, Location, Severity
from dockopt.image.model import EntryType
from dockopt.image.scan import ScanResult
from dockopt.inspect.checks import ImageCheck, layer_digest, layer_label

SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"}
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
STANDARD_SETUID = {"su", "sudo", "passwd", "chsh", "chfn", "newgrp", "gpasswd", "mount", "umount", "unix_chkpwd",
                   "expiry", "chage", "ping", "pkexec", "crontab", "ssh-agent", "wall", "write", "dotlockfile"}
"""Programs distributions ship setuid/setgid on purpose (a package your layers install may bring them)."""
ROOT_USERS = {"", "0", "root", "0:0", "root:root", "root:0", "0:root"}


class PrivilegeCheck(ImageCheck):
    family = "privilege"
    name = "privilege"

    def findings(self, result: ScanResult, base_layers: int) -> list[Finding]:
        out = self._setuid(result, base_layers) + self._world_writable(result, base_layers)
        out += self._config(result)
        return out

    def _setuid(self, result: ScanResult, base_layers: int) -> list[Finding]:
        out = []
        for path, node in result.fs.nodes.items():
            entry = node.entry
            if entry.type is not EntryType.FILE or not (entry.is_setuid or entry.is_setgid):
                continue
            if node.layer < base_layers:
                continue  # the base image's standard setuid programs (passwd, su …) are its choice
            bits = " and ".join(b for b, on in (("setuid", entry.is_setuid), ("setgid", entry.is_setgid)) if on)
            shell = posixpath.basename(path) in SHELLS
            severity = Severity.CRITICAL if shell and entry.is_setuid and entry.uid == 0 else Severity.HIGH
            if not shell and posixpath.basename(path) in STANDARD_SETUID and posixpath.dirname(path) in (
                    "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/lib/openssh", "/usr/lib/dbus-1.0"):
                severity = Severity.LOW
            owner = "root" if entry.uid == 0 else f"uid {entry.uid}"
            what = "a shell: anyone who can run it gets a root shell" if severity is Severity.CRITICAL else "review whether it needs it"
            out.append(Finding(
                rule_id="privilege.setuid", severity=severity, category=Category.SECURITY,
                title="setuid/setgid file added by your layers",
                message=f"{path} is {bits} (owner {owner}, mode {entry.mode & 0o7777:04o}), set in "
                        f"{layer_label(result, node.layer)}; {what} (chmod u-s,g-s)",
                location=Location(layer_index=node.layer, layer_digest=layer_digest(result, node.layer), path=path),
                details={"mode": f"{entry.mode & 0o7777:04o}", "uid": entry.uid, "setuid": entry.is_setuid,
                         "setgid": entry.is_setgid}))
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
                        f"{layer_label(result, node.layer)}; any user in the container can change it",
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
