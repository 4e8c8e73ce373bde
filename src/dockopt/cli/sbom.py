"""`dockopt sbom IMAGE`: what is installed in an image, with licenses, as a table, JSON, CycloneDX or SPDX."""

from __future__ import annotations

import click

from dockopt.cli.common import REFERENCE_HELP, insecure_option, parse_platform, platform_option, timeout_option


@click.command(help=f"""Software bill of materials of an image: OS packages (dpkg, apk, rpm), Python, npm,
Java archives, Go binaries, Ruby gems, PHP Composer, .NET and Rust, with licenses (SPDX expressions), purls, and where each was found
(layer and path, base image or your layers). Layers are read once, nothing is extracted to disk.

  dockopt sbom app:1.0
  dockopt sbom docker-archive:app.tar --format cyclonedx-json -o sbom.cdx.json
  dockopt sbom app:1.0 --format spdx-json -o sbom.spdx.json

{REFERENCE_HELP}""")
@click.argument("image")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "cyclonedx-json", "spdx-json"]),
              default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file (atomically).")
@click.option("--base", "base_ref", metavar="IMAGE", help="The base image, to attribute packages exactly.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@platform_option
@insecure_option
@timeout_option
def sbom(image: str, fmt: str, output: str | None, base_ref: str | None, quiet: bool, platform: str | None,
         plain_http: bool | None, timeout: float) -> None:
    from dockopt.catalog.catalog import catalog_image
    from dockopt.image.reference import open_source
    from dockopt.report.output import dump_json, write_text
    from dockopt.report.progress import progress_for

    plat = parse_platform(platform)
    source = open_source(image, plat, plain_http, timeout)
    base = open_source(base_ref, plat, plain_http, timeout) if base_ref else None
    with progress_for(quiet) as progress:
        catalog = catalog_image(source, base, progress)
    if fmt == "json":
        from dockopt.catalog.sbom_native import to_json

        write_text(dump_json(to_json(catalog)), output)
    elif fmt == "cyclonedx-json":
        from dockopt.catalog.sbom_cyclonedx import to_cyclonedx

        write_text(to_cyclonedx(catalog), output)
    elif fmt == "spdx-json":
        from dockopt.catalog.sbom_spdx import to_spdx

        write_text(dump_json(to_spdx(catalog)), output)
    else:
        from dockopt.catalog.sbom_native import render_table
        from dockopt.report.output import write_rendered

        write_rendered(lambda console: render_table(catalog, console), output)
    if fmt != "table":
        for note in catalog.notes:
            click.echo(f"dockopt: note: {note}", err=True)
