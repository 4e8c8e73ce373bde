"""Layer sharing and prune planning (keep-last-N, containers pinning layers, build cache) on
engine usage built here, so a developer without an engine still catches a regression. The
engine tests (test_prune.py, test_disk.py) check the same figures against what the engine
really frees."""

from __future__ import annotations

from dockopt.engine.filters import Filters, RepositoryPattern
from dockopt.engine.plan import Protection, Selection, make_plan
from dockopt.engine.sharing import (bytes_freed, distinct_size, freed_layers, held_layers, image_sharing,
                                    repository_totals)
from dockopt.engine.usage import BuildCacheRecord, ContainerInfo, EngineTotals, EngineUsage, ImageInfo

SIZES = {"base": 1000, "lib": 200, "app1": 30, "app2": 40, "app3": 50, "web": 7, "tool": 3}


def image(id_: str, tags: list[str], created: int, chain: list[str], labels: dict | None = None) -> ImageInfo:
    sizes = [SIZES[c] for c in chain]
    return ImageInfo(id_, tags, [], created, labels or {}, sum(sizes), -1, chain, sizes)


def container(id_: str, image_id: str, state: str = "running", created: int = 0, size_rw: int = 0,
              volumes: list[str] | None = None) -> ContainerInfo:
    return ContainerInfo(id_, f"c-{id_}", image_id, image_id, state, created, {}, size_rw, volumes or [])


def usage(images: list[ImageInfo], containers: list[ContainerInfo] = (),
          cache: list[BuildCacheRecord] = ()) -> EngineUsage:
    by_id = {i.id: i for i in images}
    return EngineUsage(
        images=by_id, containers={c.id: c for c in containers}, volumes={},
        build_cache={r.id: r for r in cache}, layer_sizes=dict(SIZES),
        container_chains={c.id: by_id[c.image_id].chain for c in containers}, totals=EngineTotals(0, 0, 0, 0),
        collected_at_ns=10**18)


def app_images() -> list[ImageInfo]:
    return [
        image("sha256:a1", ["app:1"], 100, ["base", "lib", "app1"]),
        image("sha256:a2", ["app:2"], 200, ["base", "lib", "app2"]),
        image("sha256:a3", ["app:3", "mirror/app:3"], 300, ["base", "lib", "app3"]),
        image("sha256:w1", ["web:1"], 150, ["base", "web"]),
        image("sha256:d1", [], 50, ["base", "tool"]),
    ]


def test_image_sharing_counts_layers_other_images_hold():
    sharing = image_sharing(usage(app_images(), [container("c1", "sha256:w1"), container("c2", "sha256:w1")]))
    assert {k: (v.size, v.shared, v.unique) for k, v in sharing.items()} == {
        "sha256:a1": (1230, 1200, 30), "sha256:a2": (1240, 1200, 40), "sha256:a3": (1250, 1200, 50),
        "sha256:w1": (1007, 1000, 7), "sha256:d1": (1003, 1000, 3)}
    assert sharing["sha256:w1"].containers == ("c-c1", "c-c2")
    assert sharing["sha256:a1"].containers == ()


def test_a_layer_is_freed_only_with_its_last_holder():
    u = usage(app_images())
    assert freed_layers(u, {"sha256:a1"}) == {"app1"}
    assert freed_layers(u, {"sha256:a1", "sha256:a2", "sha256:a3"}) == {"app1", "app2", "app3", "lib"}
    assert bytes_freed(u, {"sha256:a1", "sha256:a2", "sha256:a3"}) == 320
    everything = {i.id for i in app_images()}
    assert bytes_freed(u, everything) == sum(SIZES.values())
    assert held_layers(u, everything) == set()
    assert bytes_freed(u, {"sha256:missing"}) == 0


def test_a_container_pins_its_image_chain_until_it_goes():
    u = usage(app_images(), [container("c1", "sha256:a1", state="exited")])
    assert held_layers(u, {"sha256:a1"}) >= {"base", "lib", "app1"}
    assert bytes_freed(u, {"sha256:a1"}) == 0
    assert bytes_freed(u, {"sha256:a1"}, {"c1"}) == 30
    assert held_layers(u, {i.id for i in app_images()}, {"c1"}) == set()


def test_distinct_size_counts_each_layer_once():
    u = usage(app_images())
    assert distinct_size(u, ["sha256:a1", "sha256:a2"]) == 1270
    assert distinct_size(u, []) == 0


def test_repository_totals():
    totals = repository_totals(usage(app_images()))
    assert [(t.repository, t.images, t.tags, t.size, t.exclusive) for t in totals] == [
        ("app", 3, 3, 1320, 320),
        ("mirror/app", 1, 1, 1250, 50),      # a3 is also app's: its layer app3 is held only by a3
        ("web", 1, 1, 1007, 7),
        ("<none>", 1, 0, 1003, 3),
    ]


def test_repository_totals_with_a_registry_port_and_no_dangling_images():
    images = [image("sha256:r1", ["registry:5000/team/x:1"], 1, ["base", "tool"]),
              image("sha256:r2", ["registry:5000/team/x:2"], 2, ["base", "web"])]
    totals = repository_totals(usage(images))
    assert [(t.repository, t.images, t.tags, t.size, t.exclusive) for t in totals] == [
        ("registry:5000/team/x", 2, 2, 1010, 1010)]


def _kept(plan) -> dict[str, str]:
    return {k.id: k.reason for k in plan.kept}


def test_keep_last_n_keeps_the_newest_per_repository():
    u = usage(app_images())
    plan = make_plan(u, Selection(keep_last=1))
    # a3 is the newest of app and of mirror/app; w1 is the newest of web; the dangling d1 goes.
    assert [(e.id, e.reason, e.bytes) for e in plan.entries] == [
        ("sha256:d1", "dangling (untagged); unused", 3),
        ("sha256:a1", "older than the newest 1 of its repository; unused", 30),
        ("sha256:a2", "older than the newest 1 of its repository; unused", 40),
    ]
    assert _kept(plan) == {"sha256:w1": "among the newest 1 of web", "sha256:a3": "among the newest 1 of app"}
    assert plan.predicted_bytes == 73
    assert plan.by_kind() == {"container": 0, "image": 73, "volume": 0, "build-cache": 0}
    assert plan.ids("image") == {"sha256:d1", "sha256:a1", "sha256:a2"}


def test_keep_last_two_and_zero():
    u = usage(app_images())
    two = make_plan(u, Selection(keep_last=2))
    assert [e.id for e in two.entries] == ["sha256:d1", "sha256:a1"]
    assert set(_kept(two)) == {"sha256:a2", "sha256:a3", "sha256:w1"}
    zero = make_plan(u, Selection(keep_last=0))
    assert [e.id for e in zero.entries] == ["sha256:d1", "sha256:a1", "sha256:w1", "sha256:a2", "sha256:a3"]
    # Removing everything frees every layer, each once, in removal order.
    assert [e.bytes for e in zero.entries] == [3, 30, 7, 40, 1250]
    assert zero.predicted_bytes == sum(SIZES.values())


def test_keep_last_ranks_images_in_use_too():
    # The newest app image is in use: it still counts as one of the newest N, so only a1 goes.
    images = app_images()
    images[2].tags = ["app:3"]
    u = usage(images, [container("c3", "sha256:a3")])
    plan = make_plan(u, Selection(keep_last=2, repositories=(RepositoryPattern("app"),)))
    assert [e.id for e in plan.entries] == ["sha256:a1"]
    assert _kept(plan)["sha256:a3"] == "in use by container c-c3"
    assert _kept(plan)["sha256:a2"] == "among the newest 2 of app"


def test_ties_in_creation_time_are_broken_by_id():
    images = [image("sha256:b", ["t:b"], 5, ["base", "app1"]), image("sha256:a", ["t:a"], 5, ["base", "app2"])]
    plan = make_plan(usage(images), Selection(keep_last=1))
    assert [e.id for e in plan.entries] == ["sha256:b"]
    assert _kept(plan) == {"sha256:a": "among the newest 1 of t"}


def test_removed_stopped_container_releases_its_image():
    u = usage(app_images(), [container("c1", "sha256:w1", state="exited", created=5, size_rw=11),
                             container("c2", "sha256:a1", state="running")])
    plan = make_plan(u, Selection(containers=True, images=True))
    assert [(e.kind, e.id, e.bytes) for e in plan.entries] == [
        ("container", "c1", 11),
        ("image", "sha256:d1", 3), ("image", "sha256:w1", 7), ("image", "sha256:a2", 40),
        ("image", "sha256:a3", 50)]
    assert plan.entries[2].reason == "used only by containers this plan removes"
    assert plan.entries[3].reason == "unused"
    assert _kept(plan) == {"sha256:a1": "in use by container c-c2"}
    assert plan.entries[0].detail == {"image": "sha256:w1", "state": "exited"}


def test_protection_by_label_and_repository():
    images = app_images()
    images[0].labels = {"keep": "yes"}
    plan = make_plan(usage(images), Selection(images=True),
                     Protection(labels=("keep",), repositories=(RepositoryPattern("web"),)))
    assert _kept(plan) == {"sha256:a1": "protected by label keep (config)",
                           "sha256:w1": "protected by repository pattern web (config)"}
    assert [e.id for e in plan.entries] == ["sha256:d1", "sha256:a2", "sha256:a3"]


def test_repository_selection_needs_every_tag_to_match():
    plan = make_plan(usage(app_images()), Selection(repositories=(RepositoryPattern("app"),)))
    # a3 is also mirror/app:3, which the pattern does not match: it stays (not even listed as kept).
    assert [(e.id, e.reason) for e in plan.entries] == [
        ("sha256:a1", "repository matches app; unused"), ("sha256:a2", "repository matches app; unused")]
    assert plan.kept == []


def test_until_filter_keeps_newer_images():
    plan = make_plan(usage(app_images()), Selection(images=True, filters=Filters(until_ns=150)))
    assert [(e.id, e.reason) for e in plan.entries] == [
        ("sha256:d1", "dangling (untagged); unused; created before until"),
        ("sha256:a1", "unused; created before until"),
        ("sha256:w1", "unused; created before until")]


def test_build_cache_holding_an_images_layer():
    images = [image("sha256:a1", ["app:1"], 100, ["base", "app1"])]
    images[0].layer_builders = ["", "buildkit"]
    images[0].layer_created_by = ["", "RUN make"]
    cache = [BuildCacheRecord("r1", "", "regular", "mount / from exec /bin/sh -c make", False, True, 30, 1, 1),
             BuildCacheRecord("r2", "", "regular", "unrelated", False, False, 9, 1, 2)]
    u = usage(images, cache=cache)
    images_only = make_plan(u, Selection(images=True))
    assert [(e.id, e.bytes) for e in images_only.entries] == [("sha256:a1", 1000)]
    assert images_only.entries[0].detail["stays_in_build_cache"] == 30
    assert images_only.entries[0].detail["build_cache_records"] == ["r1"]
    assert images_only.notes == ["30 bytes of BuildKit-built layers stay on disk as build cache after their "
                                 "images go; add --build-cache to free them"]
    both = make_plan(u, Selection(images=True, build_cache=True))
    assert [(e.kind, e.id, e.bytes) for e in both.entries] == [
        ("image", "sha256:a1", 1000), ("build-cache", "r1", 30), ("build-cache", "r2", 9)]
    assert both.entries[1].reason == "unused build cache (its image goes in this plan)"
    assert both.notes == []
    cache_only = make_plan(u, Selection(build_cache=True))
    assert [e.id for e in cache_only.entries] == ["r2"]   # r1 is shared with an image that stays


def test_build_cache_children_go_before_parents_and_a_kept_child_keeps_its_parent():
    cache = [BuildCacheRecord("p", "", "regular", "parent", False, False, 5, 1, 1),
             BuildCacheRecord("c", "p", "regular", "child", False, False, 6, 1, 9),
             BuildCacheRecord("q", "", "regular", "parent2", False, False, 7, 1, 1),
             BuildCacheRecord("busy", "q", "regular", "child2", True, False, 8, 1, 1)]
    plan = make_plan(usage(app_images(), cache=cache), Selection(build_cache=True))
    assert [(e.id, e.bytes) for e in plan.entries] == [("c", 6), ("p", 5)]
    newer = make_plan(usage(app_images(), cache=cache), Selection(build_cache=True, filters=Filters(until_ns=5)))
    assert newer.entries == []   # the child is too recent, so the parent stays too


def test_empty_selection():
    assert Selection().empty and not Selection(keep_last=0).empty and Selection(keep_last=0).any_images
    plan = make_plan(usage(app_images()), Selection())
    assert plan.entries == [] and plan.kept == [] and plan.predicted_bytes == 0
