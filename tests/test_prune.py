"""`dockopt prune` on the real engine, touching only objects these tests create.

Every prune command here carries `--filter label=dockopt.test.run=<id>`: the engine's label rule
(every `label=` must hold) confines the plan to this test's objects, and each test checks that
the plan named nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from dockopt.engine.usage import engine_df
from tests.engine_objects import EngineObjects, busybox_layer, layer_tar, random_layer, rfc3339

pytestmark = pytest.mark.engine


@pytest.fixture
def objs(docker_client):
    made = EngineObjects(docker_client)
    yield made
    made.cleanup()


PRUNE_SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "src/dockopt/engine/schemas/prune.schema.json")
                          .read_text())


def prune_json(dockopt, *args, config: Path | None = None):
    """Run `dockopt prune ... --format json`; the output must follow the published schema."""
    import jsonschema

    extra = ["--config", str(config)] if config else []
    out = dockopt("prune", *args, "--format", "json", *extra)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    jsonschema.validate(report, PRUNE_SCHEMA)
    return report


def diff_sizes(client, image_id: str) -> list[int]:
    """The engine's per-layer DiffSizes, oldest first (one history entry per layer for our images)."""
    return [h["Size"] for h in reversed(client.api.history(image_id))]


def names(report, kind="image") -> set[str]:
    return {o["id"] if kind != "volume" else o["name"] for o in report["objects"] if o["kind"] == kind}


def other_images(client, ours: set[str]) -> set[str]:
    return {i["Id"] for i in client.api.images(all=True)} - ours


def test_predicted_bytes_equal_freed_bytes(objs, docker_client, dockopt, tmp_path):
    client = docker_client
    base = random_layer(300_000, "base.bin")
    twin_layer = random_layer(150_000, "twin.bin")
    a = objs.image([base, random_layer(200_000)], [objs.repo("app") + ":1"])
    c = objs.image([base, random_layer(100_000)], [objs.repo("app") + ":2"])
    # Twins: the same layers, different configs. The engine calls both 0 bytes unique; removing
    # both frees the twin layer.
    t1 = objs.image([base, twin_layer], [objs.repo("twin") + ":1"], labels={"twin": "1"})
    t2 = objs.image([base, twin_layer], [objs.repo("twin") + ":2"], labels={"twin": "2"})
    used = objs.image([base, random_layer(120_000)], [objs.repo("used") + ":1"])
    protected = objs.image([random_layer(50_000)], [objs.repo("kept") + ":1"], labels={"keep": "yes"})
    objs.container(used)  # a created (never started) container: the image is in use
    config = tmp_path / ".dockopt.yaml"
    config.write_text("prune:\n  protect:\n    labels: [keep=yes]\n")

    engine_images = {i["Id"]: i for i in engine_df(client)["Images"]}
    assert engine_images[t1]["SharedSize"] == engine_images[t1]["Size"]  # the engine: nothing unique
    assert engine_images[t2]["SharedSize"] == engine_images[t2]["Size"]

    expected = {a, c, t1, t2}
    # Exact bytes from the engine's DiffSizes: the top layers of a, c and the twins' shared top;
    # the base stays, held by the in-use image.
    expected_bytes = diff_sizes(client, a)[1] + diff_sizes(client, c)[1] + diff_sizes(client, t1)[1]

    plan = prune_json(dockopt, "--images", "--filter", objs.run_filter, config=config)
    assert plan["dry_run"] is True
    assert names(plan) == expected
    assert plan["predicted_bytes"] == expected_bytes
    assert isinstance(plan["predicted_bytes"], int)
    kept = {k["id"]: k["reason"] for k in plan["kept"]}
    assert "in use by container" in kept[used]
    assert "protected by label keep=yes" in kept[protected]
    assert objs.existing_images() == set(objs.images)  # the dry run removed nothing

    lock_path = Path(os.environ.get("DOCKOPT_TESTENV_DIR", "/var/tmp/dockopt-testenv")) / "build.lock"
    import fcntl
    with open(lock_path, "w") as lock:
        # Hold the build lock so no fixture build of a concurrent test run moves the totals.
        fcntl.flock(lock, fcntl.LOCK_EX)
        others_before = other_images(client, set(objs.images))
        done = prune_json(dockopt, "--images", "--filter", objs.run_filter, "--yes", config=config)
        others_after = other_images(client, set(objs.images))

    result = done["result"]
    assert done["predicted_bytes"] == expected_bytes
    assert result["skipped"] == 0
    # The engine's replies (deleted layers, at their DiffSize) add up to the prediction ...
    assert result["freed_bytes"] == expected_bytes
    assert {o["id"] for o in result["outcomes"] if o["removed"]} == expected
    for outcome in result["outcomes"]:
        assert outcome["freed_bytes"] == outcome["predicted_bytes"]
    # ... and so does the engine's own disk usage before/after, when nobody else changed images.
    if others_before == others_after:
        assert result["engine_freed_by_kind"]["image"] == expected_bytes
    assert objs.existing_images() == {used, protected}


def _engine_lock():
    import fcntl

    class Lock:
        def __enter__(self):
            path = Path(os.environ.get("DOCKOPT_TESTENV_DIR", "/var/tmp/dockopt-testenv")) / "build.lock"
            self.handle = open(path, "w")
            fcntl.flock(self.handle, fcntl.LOCK_EX)  # no fixture build of any test run meanwhile

        def __exit__(self, *exc):
            self.handle.close()
    return Lock()


def test_buildkit_layers_are_freed_with_their_build_cache(build_image, docker_client, dockopt):
    client = docker_client
    tag = build_image("FROM dockopt-test/busybox:latest\nCOPY blob /blob\nRUN cp /blob /blob2\n",
                      files={"blob": os.urandom(150_000)}, buildkit=True, name="prune-bk")
    image_id = client.api.inspect_image(tag)["Id"]
    history = list(reversed(client.api.history(image_id)))
    buildkit_bytes = sum(h["Size"] for h in history if h["Comment"] == "buildkit.dockerfile.v0")
    assert buildkit_bytes >= 300_000

    # Removing the image alone frees nothing: BuildKit's cache keeps the same bytes.
    plan = prune_json(dockopt, "--repository", tag, "--filter", "label=dockopt.test=1")
    assert names(plan) == {image_id}
    entry = plan["objects"][0]
    assert entry["bytes"] == 0 and entry["stays_in_build_cache"] == buildkit_bytes
    assert len(entry["build_cache_records"]) == 2
    assert any("--build-cache" in note for note in plan["notes"])

    # Build cache alone (a dry run over the whole engine): records shared with an image that stays
    # free nothing, so they are not selected.
    cache_only = prune_json(dockopt, "--build-cache")
    assert not set(entry["build_cache_records"]) & {o["id"] for o in cache_only["objects"]}

    # With --build-cache, the image and exactly its two records go, freeing the layers' bytes.
    args = ["--repository", tag, "--build-cache", "--filter", "label=dockopt.test=1"]
    plan = prune_json(dockopt, *args)
    assert {o["id"] for o in plan["objects"] if o["kind"] == "build-cache"} == set(entry["build_cache_records"])
    assert plan["predicted_bytes"] == buildkit_bytes
    with _engine_lock():
        before_cache = {r["ID"] for r in engine_df(client)["BuildCache"]}
        others_before = other_images(client, {image_id})
        done = prune_json(dockopt, *args, "--yes")
        others_after = other_images(client, {image_id})
        after_cache = {r["ID"] for r in engine_df(client)["BuildCache"]}
    result = done["result"]
    assert result["skipped"] == 0
    assert result["freed_bytes"] == buildkit_bytes  # BuildKit's SpaceReclaimed for the two records
    assert set(entry["build_cache_records"]) <= before_cache - after_cache
    # dockopt removed exactly the image and its two records (others may prune their own meanwhile).
    assert {o["id"] for o in result["outcomes"] if o["removed"]} == {image_id, *entry["build_cache_records"]}
    if others_before == others_after and before_cache - after_cache == set(entry["build_cache_records"]):
        # The engine's own totals (build cache counted without records shared with images).
        assert result["engine_freed_bytes"] == buildkit_bytes


def test_image_used_by_stopped_container_survives(objs, docker_client, dockopt):
    runnable = objs.image([busybox_layer(), layer_tar({"run-id": objs.run.encode()})], [objs.repo("runs") + ":1"])
    unused = objs.image([random_layer(10_000)], [objs.repo("idle") + ":1"])
    container = objs.container(runnable, run=True, cmd=["/bin/true"])
    assert docker_client.api.inspect_container(container)["State"]["Status"] == "exited"

    plan = prune_json(dockopt, "--images", "--filter", objs.run_filter, "--yes")
    assert names(plan) == {unused}
    assert any(k["id"] == runnable and "in use by container" in k["reason"] for k in plan["kept"])
    assert objs.existing_images() == {runnable}
    assert objs.existing_containers() == {container}

    # With --containers the stopped container goes first, and then its image is unused too.
    both = prune_json(dockopt, "--containers", "--images", "--filter", objs.run_filter)
    assert names(both, "container") == {container}
    entry = next(o for o in both["objects"] if o["id"] == runnable)
    assert "used only by containers this plan removes" in entry["reason"]


def test_keep_last_and_repository_select_exactly(objs, dockopt, tmp_path):
    app = {f"v{m}": objs.image([random_layer(5_000)], [objs.repo("app") + f":v{m}"], created=rfc3339(2020, m))
           for m in range(1, 5)}
    other = {f"o{m}": objs.image([random_layer(5_000)], [objs.repo("other") + f":o{m}"], created=rfc3339(2020, m))
             for m in range(1, 3)}
    dangling = objs.image([random_layer(5_000)], [], created=rfc3339(2019))

    report = prune_json(dockopt, "--repository", objs.repo("app"), "--keep-last", "2", "--filter", objs.run_filter)
    assert names(report) == {app["v1"], app["v2"]}
    kept = {k["id"]: k["reason"] for k in report["kept"]}
    assert "among the newest 2" in kept[app["v4"]] and "among the newest 2" in kept[app["v3"]]

    # A glob over this run's repositories, newest 1 of each kept; dangling images only with --dangling.
    report = prune_json(dockopt, "--repository", f"dockopt-test/prune-{objs.run}/*", "--keep-last", "1",
                        "--filter", objs.run_filter)
    assert names(report) == {app["v1"], app["v2"], app["v3"], other["o1"]}
    report = prune_json(dockopt, "--repository", f"dockopt-test/prune-{objs.run}/*", "--keep-last", "1",
                        "--dangling", "--filter", objs.run_filter)
    assert names(report) == {app["v1"], app["v2"], app["v3"], other["o1"], dangling}
    # A pattern with a tag glob.
    report = prune_json(dockopt, "--repository", objs.repo("app") + ":v[13]", "--filter", objs.run_filter)
    assert names(report) == {app["v1"], app["v3"]}
    # --dangling alone: only the untagged image.
    report = prune_json(dockopt, "--dangling", "--filter", objs.run_filter)
    assert names(report) == {dangling}
    # A repository protected in the config file is never selected, whatever the flags say.
    config = tmp_path / ".dockopt.yaml"
    config.write_text(f"prune:\n  protect:\n    repositories: ['{objs.repo('oth*')}']\n")
    report = prune_json(dockopt, "--images", "--filter", objs.run_filter, config=config)
    assert names(report) == {app["v1"], app["v2"], app["v3"], app["v4"], dangling}
    kept = {k["id"]: k["reason"] for k in report["kept"]}
    assert kept[other["o1"]] == kept[other["o2"]] == f"protected by repository pattern {objs.repo('oth*')} (config)"


def test_until_accepts_dockers_forms(objs, dockopt):
    old = objs.image([random_layer(4_000)], [objs.repo("t") + ":2020"], created=rfc3339(2020))
    mid = objs.image([random_layer(4_000)], [objs.repo("t") + ":2021"], created=rfc3339(2021, 6))
    new = objs.image([random_layer(4_000)], [objs.repo("t") + ":now"])

    def selected(*until_args: str) -> set[str]:
        return names(prune_json(dockopt, "--images", "--filter", objs.run_filter, *until_args))

    assert selected("--until", "2020-06-01") == {old}
    assert selected("--until", "2021-07-01T00:00:00Z") == {old, mid}
    assert selected("--until", "2021-01-01T02:00:00+02:00") == {old}  # midnight UTC, written in +02:00
    assert selected("--until", str(int(time.mktime((2021, 1, 1, 0, 0, 0, 0, 0, 0))))) == {old}
    assert selected("--until", "1h") == {old, mid}
    assert selected("--until", "1h30m") == {old, mid}
    assert selected("--filter", "until=10m") == {old, mid}
    assert selected("--until", "-1m") == {old, mid, new}  # a negative duration is in the future
    assert selected() == {old, mid, new}


def test_until_rejects_garbage(dockopt):
    out = dockopt("prune", "--images", "--until", "yesterday")
    assert out.returncode == 2
    assert out.stderr.startswith("dockopt: error: cannot parse until value 'yesterday'")
    assert len(out.stderr.strip().splitlines()) == 1
    out = dockopt("prune", "--filter", "dangling=true")
    assert out.returncode == 2 and "unsupported filter" in out.stderr


LABEL_CASES = [
    (["label=a"], {"c1", "c2", "c5"}),
    (["label=a=1"], {"c1", "c2"}),
    (["label=a=1", "label=b"], {"c2"}),
    (["label!=a"], {"c3", "c4"}),
    (["label!=a", "label!=b"], {"c1", "c3", "c4", "c5"}),
    (["label=b", "label!=a=1"], {"c3"}),
]


def test_label_filters_match_the_engines_own_prune(objs, docker_client, dockopt):
    image = objs.image([random_layer(1_000)], [objs.repo("labels") + ":1"])
    roles = {"c1": {"a": "1"}, "c2": {"a": "1", "b": "2"}, "c3": {"b": "2"}, "c4": {}, "c5": {"a": "2"}}
    docker_cli = "/usr/bin/docker"
    for filters, expected in LABEL_CASES:
        created = {objs.container(image, labels={**labels, "role": role}): role for role, labels in roles.items()}
        args = [arg for f in filters for arg in ("--filter", f)]
        plan = prune_json(dockopt, "--containers", "--filter", objs.run_filter, *args)
        assert {created[i] for i in names(plan, "container")} == expected, filters
        # The oracle: the engine's own container prune with the same filters (our run label first).
        out = subprocess.run([docker_cli, "container", "prune", "-f", "--filter", objs.run_filter, *args],
                             capture_output=True, text=True, env=os.environ)
        assert out.returncode == 0, out.stderr
        remaining = objs.existing_containers()
        engine_removed = {role for cid, role in created.items() if cid not in remaining}
        assert engine_removed == expected, filters
        for cid in remaining:
            docker_client.api.remove_container(cid, force=True)


def test_containers_and_volumes(objs, docker_client, dockopt):
    client = docker_client
    runnable = objs.image([busybox_layer(), layer_tar({"run-id": objs.run.encode()})], [objs.repo("vol") + ":1"])
    free_volume = objs.volume()
    used_volume = objs.volume()
    writer = objs.container(runnable, run=True, volumes={free_volume: "/data"},
                            cmd=["/bin/busybox", "dd", "if=/dev/urandom", "of=/data/blob", "bs=1024", "count=300"])
    client.api.remove_container(writer)
    holder = objs.container(runnable, volumes={used_volume: "/data"})  # created, never started: in use
    scribbler = objs.container(runnable, run=True,
                               cmd=["/bin/busybox", "dd", "if=/dev/urandom", "of=/junk", "bs=1024", "count=200"])

    # Volumes are never selected without --volumes.
    default = prune_json(dockopt, "--filter", objs.run_filter)
    assert names(default, "volume") == set()
    assert names(default, "container") == {holder, scribbler}

    # --until: our containers are seconds old.
    assert names(prune_json(dockopt, "--containers", "--until", "1h", "--filter", objs.run_filter), "container") == set()

    sizes = {c["Id"]: c.get("SizeRw", 0) for c in engine_df(client)["Containers"] if c["Id"] in (holder, scribbler)}
    volume_size = next(v["UsageData"]["Size"] for v in engine_df(client)["Volumes"] if v["Name"] == free_volume)
    assert sizes[scribbler] >= 200 * 1024 and volume_size >= 300 * 1024

    done = prune_json(dockopt, "--containers", "--filter", objs.run_filter, "--yes")
    assert names(done, "container") == {holder, scribbler}
    assert done["predicted_by_kind"]["container"] == sizes[holder] + sizes[scribbler]
    assert done["result"]["freed_bytes"] == done["predicted_bytes"]
    assert objs.existing_containers() == set()

    # The holder is gone, so both volumes are unused now; protect one by label in the filter.
    done = prune_json(dockopt, "--volumes", "--filter", objs.run_filter, "--yes")
    assert names(done, "volume") == {free_volume, used_volume}
    assert done["predicted_bytes"] == volume_size + 0
    assert done["result"]["freed_bytes"] == volume_size
    assert objs.existing_volumes() == set()


def test_volume_in_use_is_kept(objs, dockopt):
    runnable = objs.image([layer_tar({"x": objs.run.encode()})], [objs.repo("v") + ":1"])
    used = objs.volume()
    unused = objs.volume()
    objs.container(runnable, volumes={used: "/data"})
    report = prune_json(dockopt, "--volumes", "--filter", objs.run_filter, "--yes")
    assert names(report, "volume") == {unused}
    assert objs.existing_volumes() == {used}


def test_container_created_between_plan_and_execution_skips(objs, docker_client):
    from dockopt.engine.execute import execute_plan
    from dockopt.engine.filters import parse_filters
    from dockopt.engine.plan import Selection, make_plan
    from dockopt.engine.usage import collect_usage

    single = objs.image([random_layer(20_000)], [objs.repo("race") + ":single"])
    double = objs.image([random_layer(20_000)], [objs.repo("race") + ":a", objs.repo("race-b") + ":b"])
    free = objs.image([random_layer(20_000)], [objs.repo("race") + ":free"])
    usage = collect_usage(docker_client)
    plan = make_plan(usage, Selection(images=True, filters=parse_filters([objs.run_filter], None)))
    assert plan.ids("image") == {single, double, free}

    objs.container(single)  # meanwhile, someone creates containers from two of the images
    objs.container(double)
    result = execute_plan(docker_client, usage, plan)

    by_id = {o.entry.id: o for o in result.outcomes}
    assert by_id[free].removed and by_id[free].freed == by_id[free].entry.bytes > 0
    for image_id in (single, double):
        assert not by_id[image_id].removed
        assert "engine refused" in by_id[image_id].message
    # The two-tag image keeps both tags: the untagging done before the refusal is undone.
    tags = docker_client.api.inspect_image(double)["RepoTags"]
    assert sorted(tags) == sorted([objs.repo("race") + ":a", objs.repo("race-b") + ":b"])
    assert objs.existing_images() == {single, double}


def test_container_started_between_plan_and_execution_skips(objs, docker_client):
    from dockopt.engine.execute import execute_plan
    from dockopt.engine.filters import parse_filters
    from dockopt.engine.plan import Selection, make_plan
    from dockopt.engine.usage import collect_usage

    runnable = objs.image([busybox_layer(), layer_tar({"run-id": objs.run.encode()})], [objs.repo("start") + ":1"])
    sleeper = objs.container(runnable, cmd=["/bin/busybox", "sleep", "60"])
    idle = objs.container(runnable)
    usage = collect_usage(docker_client)
    plan = make_plan(usage, Selection(containers=True, filters=parse_filters([objs.run_filter], None)))
    assert plan.ids("container") == {sleeper, idle}

    docker_client.api.start(sleeper)  # meanwhile, someone starts one of them
    result = execute_plan(docker_client, usage, plan)
    by_id = {o.entry.id: o for o in result.outcomes}
    assert by_id[idle].removed
    assert not by_id[sleeper].removed and "engine refused" in by_id[sleeper].message
    assert objs.existing_containers() == {sleeper}


def test_unreachable_engine_is_one_line(dockopt, tmp_path):
    for command in (["disk"], ["prune", "--images"]):
        out = dockopt(*command, env={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"})
        assert out.returncode == 2
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dockopt: error: cannot reach the Docker engine")
        assert out.stdout == ""


def test_bad_input_is_one_line(dockopt, tmp_path):
    config = tmp_path / ".dockopt.yaml"
    config.write_text("prune:\n  protect:\n    labels: keep\n")
    cases = [
        (["prune", "--images", "--config", str(config)], "prune.protect.labels: expected a list of strings"),
        (["prune", "--repository", "app[", "--images"], "bad repository pattern"),
        (["prune", "--until", "1h", "--filter", "until=2h"], "more than one until value"),
        (["prune", "--filter", "label="], "a label key is required"),
    ]
    for args, message in cases:
        out = dockopt(*args)
        assert out.returncode == 2, args
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, out.stderr)
        assert out.stdout == ""
