"""Options shared by the image commands."""

from __future__ import annotations

import click

from dockopt.image.model import Platform

REFERENCE_HELP = """IMAGE is one of: docker:NAME[:TAG|@DIGEST] (local engine), docker-archive:PATH[:TAG]
(docker save tar), oci-dir:PATH, oci-archive:PATH, registry:HOST/REPO[:TAG|@DIGEST], or a bare
NAME[:TAG] (local engine first, then registry)."""


def platform_option(f):
    return click.option("--platform", metavar="OS/ARCH[/VARIANT]", default=None,
                        help="Platform to pick from a multi-arch index (default: this machine's).")(f)


def parse_platform(value: str | None) -> Platform | None:
    return Platform.parse(value) if value else None


def insecure_option(f):
    return click.option("--plain-http", "plain_http", is_flag=True, default=None,
                        help="Talk to the registry over plain HTTP (default only for localhost/127.0.0.1).")(f)


def timeout_option(f):
    from dockopt.image.registry_client import DEFAULT_TIMEOUT, MIN_BLOB_RATE

    return click.option(
        "--timeout", "timeout", type=click.FloatRange(min=1, max=86400), default=DEFAULT_TIMEOUT,
        envvar="DOCKOPT_REGISTRY_TIMEOUT", show_default=True, metavar="SECONDS",
        help=f"Registry deadline: a manifest, token or config request must finish within SECONDS "
             f"(redirects included); a layer's headers too, and its download must then average at "
             f"least {MIN_BLOB_RATE // 1024} KiB/s (env DOCKOPT_REGISTRY_TIMEOUT).")(f)
