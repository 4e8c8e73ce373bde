"""The catalogers of a full catalog, os-release first (the others read the distro from it)."""

from __future__ import annotations

from dockopt.catalog.core import Cataloger


def default_catalogers() -> list[Cataloger]:
    from dockopt.catalog.apk import ApkCataloger
    from dockopt.catalog.dpkg import DpkgCataloger
    from dockopt.catalog.golang import GoCataloger
    from dockopt.catalog.java import JavaCataloger
    from dockopt.catalog.npm import NpmCataloger
    from dockopt.catalog.osrelease import OsReleaseCataloger
    from dockopt.catalog.python import PythonCataloger
    from dockopt.catalog.rpm import RpmCataloger
    from dockopt.catalog.runtimes import RuntimeCataloger

    return [OsReleaseCataloger(), DpkgCataloger(), ApkCataloger(), RpmCataloger(), PythonCataloger(),
            NpmCataloger(), JavaCataloger(), GoCataloger(), RuntimeCataloger()]
