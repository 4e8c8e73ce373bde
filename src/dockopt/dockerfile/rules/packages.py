"""Package managers as data: how an install looks, where its cache lives, what cleans it.

Rules about package caches read this table, so supporting another manager is one entry.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass
from typing import Callable

from dockopt.dockerfile.rules.base import RunInfo
from dockopt.dockerfile.shell import Command


@dataclass(frozen=True)
class PackageManager:
    name: str
    programs: tuple[str, ...]
    installs: tuple[str, ...]
    """Subcommands that install (`install`, `add`, …); empty tuple + `bare_install` for `yarn`."""
    cache_dirs: tuple[str, ...]
    """Where the cache lives; a cache mount on one of these (or a parent) covers the install."""
    no_cache_options: tuple[str, ...] = ()
    """Options that make the install leave no cache (`--no-cache`, `--no-cache-dir`)."""
    cleanup_commands: tuple[tuple[str, str], ...] = ()
    """(program, subcommand) pairs that clean the cache: (`dnf`, `clean`)."""
    no_cache_env: tuple[str, ...] = ()
    """Environment variables that disable the cache (`PIP_NO_CACHE_DIR`)."""
    fix_option: str | None = None
    """Fix by inserting this option after the install subcommand…"""
    fix_command: str | None = None
    """…or by appending this command to the RUN."""
    bare_install: bool = False
    """The program alone installs (`yarn`)."""
    mount_dirs: tuple[str, ...] = ()
    """Cache mounts the BuildKit flavour of the fix adds (default: `cache_dirs`)."""
    mounts_cover_all: bool = False
    """Cache mounts silence the rule only when they cover every one of `cache_dirs` (apt: the
    lists *and* the downloaded packages); otherwise a mount on any of them does."""
    removal_dirs: tuple[str, ...] = ()
    """An `rm` of one of these cleans the cache (default: `cache_dirs`)."""

    @functools.cached_property
    def programs_set(self) -> frozenset[str]:
        return frozenset(self.programs)

    @property
    def fix_mounts(self) -> tuple[str, ...]:
        return self.mount_dirs or self.cache_dirs

    def install_commands(self, info: RunInfo) -> list[Command]:
        if self.programs_set.isdisjoint(info.index):
            return []
        out = []
        for cmd in info.find(*self.programs):
            sub = cmd.subcommand()
            if (sub in self.installs or (self.bare_install and sub is None)) and not simulated(cmd):
                out.append(cmd)
        return out

    def cleaned(self, info: RunInfo, env: Callable[[], dict[str, str]], cmd: Command) -> bool:
        """The install `cmd` leaves no cache behind in this RUN's layer (`env` gives the ENV/ARG
        values in effect, computed only when this manager reads an environment variable)."""
        mounted = [info.cache_mounted(d) for d in self.cache_dirs]
        if all(mounted) if self.mounts_cover_all else any(mounted):
            return True
        if self.no_cache_options and cmd.has_option(*self.no_cache_options):
            return True
        if self.no_cache_env and any(_truthy(value) for value in self._no_cache_values(info, env, cmd)):
            return True
        # a cleanup after the install: compare with the last cleanup of the RUN (found once)
        return info.position(cmd) < info.last_position(("cleanup", self.name), self._cleans)

    def _no_cache_values(self, info: RunInfo, env: Callable[[], dict[str, str]], cmd: Command):
        """The values `no_cache_env` variables have for `cmd`: set on the command itself, by an
        earlier `export` in the RUN, or by ENV/ARG (of this stage or the stage it is built FROM)."""
        inline = cmd.assignments()
        for name in self.no_cache_env:
            if name in inline:
                yield inline[name]
                continue
            exported = info.last_position(("export", name), lambda c, name=name: c.name == "export" and any(
                a.partition("=")[0] == name and "=" in a for a in c.args))
            if 0 <= exported < info.position(cmd):
                yield next(a.partition("=")[2] for a in info.commands[exported].args if a.startswith(name + "="))
                continue
            yield env().get(name, "")

    def _cleans(self, cmd: Command) -> bool:
        if (cmd.name, cmd.subcommand()) in self.cleanup_commands:
            return True
        return cmd.name == "rm" and any(_covers(arg, d) for arg in cmd.args for d in self.removal_dirs or self.cache_dirs)


# `apt-get install -s pkg` (the official postgres image asks whether a package exists this
# way) and `apk add --simulate` install nothing.
_SIMULATE = ("-s", "--simulate", "--dry-run", "--just-print", "--no-act", "--recon")


def simulated(cmd: Command) -> bool:
    if cmd.name in ("apt-get", "apt", "aptitude"):
        return cmd.has_option(*_SIMULATE)
    if cmd.name == "apk":
        return cmd.has_option("-s", "--simulate")
    return False


def _truthy(value: str) -> bool:
    return value.lower() not in ("", "0", "false", "off", "no")


def _covers(arg: str, cache_dir: str) -> bool:
    path = posixpath.normpath(arg.rstrip("*").rstrip("/") or "/")
    cache = posixpath.normpath(cache_dir)
    return path == cache or cache.startswith(path.rstrip("/") + "/") or \
        (arg.endswith("*") and posixpath.normpath(arg[:-1]) in (cache, posixpath.dirname(cache)))


MANAGERS: tuple[PackageManager, ...] = (
    # `apt-get clean` empties only /var/cache/apt; `dist-clean` (apt 2.9+) the lists too. The
    # downloaded .debs in /var/cache/apt are what Debian's docker-clean hook removes, so a
    # cache mount must cover both directories (the hook is removed where mounts are used).
    PackageManager("apt", ("apt-get", "apt", "aptitude"), ("install",), ("/var/lib/apt/lists", "/var/cache/apt"),
                   cleanup_commands=(("apt-get", "dist-clean"), ("apt", "dist-clean")),
                   fix_command="apt-get clean && rm -rf /var/lib/apt/lists/*",
                   mount_dirs=("/var/cache/apt", "/var/lib/apt/lists"), mounts_cover_all=True,
                   removal_dirs=("/var/lib/apt/lists",)),
    # `--no-network` downloads nothing, so it writes no cache (the official images' run-deps step)
    PackageManager("apk", ("apk",), ("add",), ("/var/cache/apk", "/etc/apk/cache"), mount_dirs=("/var/cache/apk",),
                   no_cache_options=("--no-cache", "--no-network"), fix_option="--no-cache"),
    PackageManager("dnf", ("dnf", "yum", "microdnf", "tdnf"), ("install", "groupinstall", "reinstall"),
                   ("/var/cache/dnf", "/var/cache/yum"),
                   cleanup_commands=(("dnf", "clean"), ("yum", "clean"), ("microdnf", "clean"), ("tdnf", "clean")),
                   fix_command="{program} clean all"),
    PackageManager("zypper", ("zypper",), ("install", "in"), ("/var/cache/zypp",),
                   cleanup_commands=(("zypper", "clean"), ("zypper", "cc")), fix_command="zypper clean -a"),
    PackageManager("pip", ("pip", "pip3", "pip2") + tuple(f"pip3.{n}" for n in range(6, 15)), ("install",),
                   ("/root/.cache/pip",), mount_dirs=("/root/.cache/pip",), no_cache_options=("--no-cache-dir",),
                   cleanup_commands=(("pip", "cache"), ("pip3", "cache")),
                   no_cache_env=("PIP_NO_CACHE_DIR",), fix_option="--no-cache-dir"),
    PackageManager("npm", ("npm",), ("install", "i", "ci", "add"), ("/root/.npm",),
                   cleanup_commands=(("npm", "cache"),), fix_command="npm cache clean --force"),
    PackageManager("yarn", ("yarn",), ("install", "add"), ("/usr/local/share/.cache/yarn", "/root/.cache/yarn"),
                   cleanup_commands=(("yarn", "cache"),), fix_command="yarn cache clean", bare_install=True),
    PackageManager("gem", ("gem",), ("install",), ("/root/.gem", "/usr/local/bundle/cache"),
                   no_cache_options=("--no-document", "-N", "--no-doc"),
                   cleanup_commands=(("gem", "cleanup"),), fix_option="--no-document"),
)

_OPTIONS_WITH_VALUE = frozenset({"--virtual", "-t", "-o", "--repository", "-X", "--enablerepo",
                                 "--disablerepo", "--setopt", "--target-release", "--option"})
OS_MANAGERS = frozenset({"apt", "apk", "dnf", "zypper"})


def installed_packages(info: RunInfo) -> list[tuple[Command, str]]:
    """(command, package name) for OS package installs in a RUN (versions stripped)."""
    out = []
    for mgr in MANAGERS:
        if mgr.name not in OS_MANAGERS:
            continue
        for cmd in mgr.install_commands(info):
            seen_sub = False
            skip_next = False
            for arg in cmd.args:
                if skip_next:
                    skip_next = False
                    continue
                if not seen_sub and arg in mgr.installs:
                    seen_sub = True
                    continue
                if arg in _OPTIONS_WITH_VALUE:
                    skip_next = True
                    continue
                if arg.startswith("-") or not seen_sub:
                    continue
                name = arg.split("=", 1)[0]
                for sep in (">=", "<=", ">", "<", "~"):
                    name = name.split(sep, 1)[0]
                out.append((cmd, name.split(":", 1)[0] if mgr.name == "apt" else name))
    return out


def virtual_name(cmd: Command) -> str | None:
    """`apk add --virtual .build-deps …` -> `.build-deps`."""
    args = cmd.args
    for i, arg in enumerate(args):
        if cmd.name == "apk" and arg in ("--virtual", "-t") and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--virtual="):
            return arg.split("=", 1)[1]
    return None


def _auto_marked_then_purged(info: RunInfo) -> int:
    """The position of `apt-mark auto '.*'` when an autoremoving purge follows it in the RUN,
    else -1. The official images' pattern (`savedAptMark="$(apt-mark showmanual)"; apt-get
    install …; apt-mark auto '.*'; apt-mark manual $savedAptMark; …; apt-get purge -y
    --auto-remove`) removes every package installed before the mark: none reaches the layer."""
    mark = -1
    for k, cmd in enumerate(info.commands):
        if cmd.name == "apt-mark" and cmd.subcommand() == "auto" and any(a in (".*", "^.*$", "*") for a in cmd.args):
            mark = k
        elif mark >= 0 and cmd.name in ("apt-get", "apt") and (
                cmd.subcommand() == "autoremove" or
                (cmd.subcommand() in ("purge", "remove") and cmd.has_option("--auto-remove", "--autoremove"))):
            return mark
    return -1


def removed_packages(info: RunInfo) -> set[str]:
    out: set[str] = set()
    mark = _auto_marked_then_purged(info)
    if mark >= 0:
        out.update(pkg for cmd, pkg in installed_packages(info) if info.position(cmd) < mark)
    for cmd in info.commands:
        sub = cmd.subcommand()
        if (cmd.name in ("apt-get", "apt", "aptitude") and sub in ("purge", "remove", "autoremove")) or \
                (cmd.name == "apk" and sub == "del") or \
                (cmd.name in ("dnf", "yum", "microdnf") and sub in ("remove", "erase", "autoremove")):
            out.update(a for a in cmd.args if not a.startswith("-") and a != sub)
    return out
