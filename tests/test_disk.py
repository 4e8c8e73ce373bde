"""`dockopt disk` against the engine's own figures (df endpoint and `docker system df -v`)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from dockopt.engine.usage import engine_df
from tests.engine_objects import EngineObjects, random_layer

pytestmark = pytest.mark.engine


def go_human_size(n: int, precision: int = 4) -> str:
    """docker/go-units HumanSizeWithPrecision: decimal units, %.*g."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    size, i = float(n), 0
    while size >= 1000 and i < len(units) - 1:
        size /= 1000
        i += 1
    return f"{size:.{precision}g}{units[i]}"


def cli_df_images() -> dict[str, dict[str, str]]:
    """Image rows of `docker system df -v`, by short ID."""
    out = subprocess.run(["/usr/bin/docker", "system", "df", "-v"], capture_output=True, text=True, env=os.environ)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    start = lines.index("Images space usage:") + 2
    header = re.split(r"\s{2,}", lines[start].strip())
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        row = dict(zip(header, re.split(r"\s{2,}", line.strip())))
        rows[row["IMAGE ID"]] = row
    return rows


@pytest.fixture
def objs(docker_client):
    made = EngineObjects(docker_client)
    yield made
    made.cleanup()


def test_shared_and_unique_agree_with_the_engine(objs, docker_client, dockopt):
    client = docker_client
    base = random_layer(400_000, "base.bin")
    twin = random_layer(90_000, "twin.bin")
    a = objs.image([base, random_layer(200_000)], [objs.repo("app") + ":1"])
    c = objs.image([base, random_layer(100_000)], [objs.repo("app") + ":2", objs.repo("app") + ":latest"])
    t1 = objs.image([base, twin], [objs.repo("twin") + ":1"], labels={"twin": "1"})
    t2 = objs.image([base, twin], [objs.repo("twin") + ":2"], labels={"twin": "2"})
    lonely = objs.image([random_layer(30_000)], [])
    container = objs.container(a)
    container_name = client.api.inspect_container(container)["Name"].lstrip("/")

    out = dockopt("disk", "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["schema_version"] == 1
    import jsonschema
    from pathlib import Path
    schema = Path(__file__).resolve().parent.parent / "src/dockopt/engine/schemas/disk.schema.json"
    jsonschema.validate(report, json.loads(schema.read_text()))
    mine = {i["id"]: i for i in report["images"] if i["id"] in objs.images}
    assert set(mine) == {a, c, t1, t2, lonely}

    sizes = {i: [h["Size"] for h in reversed(client.api.history(i))] for i in objs.images}
    base_size, twin_size = sizes[a][0], sizes[t1][1]
    # Exact figures from layer sharing.
    assert mine[a]["shared"] == base_size and mine[a]["unique"] == sizes[a][1]
    assert mine[c]["shared"] == base_size and mine[c]["unique"] == sizes[c][1]
    assert mine[t1]["shared"] == base_size + twin_size and mine[t1]["unique"] == 0
    assert mine[lonely]["shared"] == 0 and mine[lonely]["unique"] == sizes[lonely][0]
    assert [x["name"] for x in mine[a]["containers"]] == [container_name] and mine[a]["in_use"]
    assert not mine[c]["in_use"]

    # Byte for byte the engine's SharedSize (df endpoint) ...
    engine = {i["Id"]: i for i in engine_df(client)["Images"]}
    for image_id, info in mine.items():
        assert info["shared"] == engine[image_id]["SharedSize"]
        assert info["unique"] == engine[image_id]["Size"] - engine[image_id]["SharedSize"]
        assert info["size"] == engine[image_id]["Size"]
    # ... and what `docker system df -v` prints (go-units HumanSize, 4 significant digits).
    rows = cli_df_images()
    for image_id, info in mine.items():
        row = rows[image_id.split(":")[1][:12]]
        assert row["SHARED SIZE"] == go_human_size(info["shared"])
        assert row["UNIQUE SIZE"] == go_human_size(info["unique"])
        assert row["CONTAINERS"] == str(len(info["containers"]))

    # Per-repository totals count each layer once; "only here" is what removing the repository frees.
    repos = {r["repository"]: r for r in report["repositories"]}
    app = repos[objs.repo("app")]
    assert (app["images"], app["tags"]) == (2, 3)
    assert app["size"] == base_size + sizes[a][1] + sizes[c][1]
    assert app["exclusive"] == sizes[a][1] + sizes[c][1]  # the base stays with the twins
    twins = repos[objs.repo("twin")]
    # The engine calls each twin 0 bytes unique; together they hold the twin layer alone.
    assert twins["exclusive"] == twin_size > 0


def test_disk_table_lists_what_prunes_free(objs, dockopt):
    objs.image([random_layer(10_000)], [objs.repo("table") + ":1"])
    out = dockopt("disk")
    assert out.returncode == 0, out.stderr
    assert objs.repo("table") in out.stdout
    for heading in ("TYPE", "Images", "Repositories", "What each prune would free", "dockopt prune --images"):
        assert heading in out.stdout


def test_every_image_on_the_engine_agrees_with_the_engines_accounting(docker_client):
    """Over whatever the shared engine holds (classic, BuildKit, imported, loaded images): the
    distinct layers add up to the engine's LayersSize, and every image's shared bytes are the
    engine's SharedSize. Other test runs change the engine meanwhile, so a mismatch is retried."""
    from dockopt.engine.sharing import image_sharing
    from dockopt.engine.usage import collect_usage

    for attempt in range(5):
        usage = collect_usage(docker_client)
        sharing = image_sharing(usage)
        engine = {i["Id"]: i for i in engine_df(docker_client)["Images"]}
        same_images = set(engine) == set(usage.images)
        if same_images and sum(usage.layer_sizes.values()) == usage.totals.layers_size:
            break
    assert same_images, "the engine kept changing"
    assert sum(usage.layer_sizes.values()) == usage.totals.layers_size
    assert usage.images, "no images at all"
    for image_id, image in usage.images.items():
        assert sum(image.layer_sizes) == image.size
        if image.sizes_exact:  # an image whose history cannot be matched to its layers is flagged
            assert sharing[image_id].shared == engine[image_id]["SharedSize"], image.name
    assert sum(1 for i in usage.images.values() if i.sizes_exact) >= len(usage.images) * 0.9


def test_engine_reclaimable_is_what_docker_system_df_prints(docker_client, dockopt):
    """`summary.images.engine_reclaimable` reproduces the CLI's RECLAIMABLE for images (LayersSize
    minus the unique bytes of images in use), kept beside dockopt's exact figure."""
    for attempt in range(5):
        out = dockopt("disk", "--format", "json")
        assert out.returncode == 0, out.stderr
        summary = json.loads(out.stdout)["summary"]["images"]
        cli = subprocess.run(["/usr/bin/docker", "system", "df"], capture_output=True, text=True, env=os.environ)
        row = next(line for line in cli.stdout.splitlines() if line.startswith("Images"))
        printed = re.split(r"\s{2,}", row.strip())[4].split(" ")[0]
        again = json.loads(dockopt("disk", "--format", "json").stdout)["summary"]["images"]
        if again == summary:  # nothing changed on the shared engine meanwhile
            break
    assert printed == go_human_size(summary["engine_reclaimable"])


def test_plan_bytes_agree_with_set_accounting(docker_client):
    """The plan's step-by-step figures (layer holder counts) against a set computation of the
    same removals (layers of removed images held by nothing that stays), on the whole engine."""
    from dockopt.engine.plan import Selection, make_plan
    from dockopt.engine.sharing import bytes_freed
    from dockopt.engine.usage import collect_usage

    usage = collect_usage(docker_client)
    for selection in (Selection(images=True), Selection(dangling=True), Selection(containers=True, images=True)):
        plan = make_plan(usage, selection)
        images = plan.ids("image")
        stepwise = sum(e.bytes + e.detail.get("stays_in_build_cache", 0) for e in plan.entries if e.kind == "image")
        assert stepwise == bytes_freed(usage, images, plan.ids("container"))
