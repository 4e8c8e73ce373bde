"""Which packages are installed (the catalog's dpkg parser) and which package owns a path
(dpkg `.list` files, apk's `R:` lines, which the catalog does not keep)."""

from __future__ import annotations

DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_INFO = "/var/lib/dpkg/info/"
APK_INSTALLED = "/lib/apk/db/installed"


def dpkg_installed(text: str) -> list[str]:
    """Names of installed packages, in file order."""
    from dockopt.catalog.dpkg import installed, parse_control  # only when a status file exists

    return [stanza["Package"] for stanza in parse_control(text) if installed(stanza)]


def dpkg_list_owner(path: str) -> str | None:
    """`/var/lib/dpkg/info/curl.list` -> `curl` (`libc6:amd64.list` -> `libc6`)."""
    if not (path.startswith(DPKG_INFO) and path.endswith(".list")):
        return None
    return path[len(DPKG_INFO):-len(".list")].split(":", 1)[0]


def apk_installed(text: str) -> tuple[list[str], dict[str, str]]:
    """Installed package names and path -> owning package from apk's `installed` database."""
    names: list[str] = []
    owners: dict[str, str] = {}
    for block in text.split("\n\n"):
        name, folder = None, ""
        for line in block.splitlines():
            key, _, value = line.partition(":")
            if key == "P":
                name = value.strip()
                names.append(name)
            elif key == "F":
                folder = value.strip()
            elif key == "R" and name:
                owners["/" + "/".join(p for p in (folder, value.strip()) if p)] = name
    return names, owners


def usr_aliases(path: str) -> tuple[str, ...]:
    """The same file under merged-/usr and split layouts (`/bin/sh` and `/usr/bin/sh`)."""
    for short, long in (("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/"), ("/lib/", "/usr/lib/")):
        if path.startswith(short):
            return path, long + path[len(short):]
        if path.startswith(long):
            return path, short + path[len(long):]
    return (path,)
