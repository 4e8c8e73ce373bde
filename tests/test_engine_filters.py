"""Filters, time parsing and layer-size mapping: the parts of disk/prune that need no engine."""

from __future__ import annotations

from datetime import datetime

import pytest

from dockopt.engine.filters import (LabelFilter, RepositoryPattern, parse_filters, parse_go_duration,
                                    parse_until, split_repo_tag)
from dockopt.engine.usage import chain_ids, layer_sizes_from_history
from dockopt.errors import UsageError

NOW = 1_800_000_000 * 10**9
S = 10**9


@pytest.mark.parametrize("text, ns", [
    ("10m", 600 * S), ("1h30m", 5400 * S), ("1.5h", 5400 * S), ("300ms", 300_000_000), ("2h45m10s", 9910 * S),
    ("-1m", -60 * S), ("1us", 1000), ("1µs", 1000), ("0", 0), (".5s", S // 2),
])
def test_go_durations(text, ns):
    assert parse_go_duration(text) == ns


@pytest.mark.parametrize("text", ["", "10", "1d", "h", "1h30", "1.h.", "1e3s"])
def test_not_go_durations(text):
    assert parse_go_duration(text) is None


def test_until_forms():
    assert parse_until("10m", NOW) == NOW - 600 * S
    assert parse_until("1700000000", NOW) == 1_700_000_000 * S
    assert parse_until("1700000000.25", NOW) == 1_700_000_000 * S + 250_000_000
    assert parse_until("2023-11-14T22:13:20Z", NOW) == 1_700_000_000 * S
    assert parse_until("2023-11-14T23:13:20+01:00", NOW) == 1_700_000_000 * S
    assert parse_until("2023-11-14T22:13:20.000000001Z", NOW) == 1_700_000_000 * S + 1
    local = int(datetime(2023, 11, 14).timestamp()) * S  # zone-less forms are local time
    assert parse_until("2023-11-14", NOW) == local
    assert parse_until("2023-11-14T00", NOW) == local
    assert parse_until("2023-11-14T00:00", NOW) == local
    assert parse_until("0", NOW) == 0  # "0" is a timestamp, not a duration, as in the engine
    for bad in ("yesterday", "2023-13-01", "2023-11-14T25:00", "1.2.3"):
        with pytest.raises(UsageError):
            parse_until(bad, NOW)


def test_label_rules_are_the_engines():
    labels = {"a": "1", "b": "2"}
    assert LabelFilter(("a",)).matches(labels)
    assert LabelFilter(("a=1", "b=2")).matches(labels)
    assert not LabelFilter(("a=1", "c")).matches(labels)  # every label= must hold
    assert not LabelFilter(excluded=("a",)).matches(labels)
    assert LabelFilter(excluded=("a", "c")).matches(labels)  # label!= excludes only when all match
    assert not LabelFilter(excluded=("a", "b=2")).matches(labels)
    assert not LabelFilter(("a",)).matches({})
    assert LabelFilter().matches(None)


def test_filter_parsing():
    f = parse_filters(["label=a=1", "label!=b", "until=1h"], None, NOW)
    assert f.labels == LabelFilter(("a=1",), ("b",))
    assert f.until_ns == NOW - 3600 * S
    with pytest.raises(UsageError):
        parse_filters(["until=1h"], "2h", NOW)
    for bad in (["label="], ["reference=x"], ["nokey"]):
        with pytest.raises(UsageError):
            parse_filters(bad, None, NOW)


def test_repository_patterns():
    assert RepositoryPattern("app").matches("app", "v1")
    assert not RepositoryPattern("app").matches("app2", "v1")
    assert RepositoryPattern("team/*").matches("team/app", "1")
    assert not RepositoryPattern("team/*").matches("team/sub/app", "1")
    assert RepositoryPattern("team/**").matches("team/sub/app", "1")
    assert RepositoryPattern("localhost:5000/*").matches("localhost:5000/app", None)
    assert RepositoryPattern("app:v1.*").matches("app", "v1.2")
    assert not RepositoryPattern("app:v1.*").matches("app", "v2.0")
    assert split_repo_tag("localhost:5000/app:v1") == ("localhost:5000/app", "v1")
    assert split_repo_tag("localhost:5000/app") == ("localhost:5000/app", None)
    assert split_repo_tag("app@sha256:abc") == ("app", None)


def test_chain_ids_follow_the_image_spec():
    import hashlib
    d1, d2 = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    assert chain_ids([d1, d2]) == [d1, "sha256:" + hashlib.sha256(f"{d1} {d2}".encode()).hexdigest()]


def test_layer_sizes_from_history():
    # Newest first, as the endpoint gives them. ENV and CMD entries carry no layer.
    history = [{"Size": 0, "CreatedBy": "/bin/sh -c #(nop)  CMD [\"sh\"]"}, {"Size": 500, "CreatedBy": "RUN x"},
               {"Size": 0, "CreatedBy": "ENV A=1"}, {"Size": 0, "CreatedBy": "RUN touch-nothing"},
               {"Size": 100, "CreatedBy": "ADD file"}]
    assert layer_sizes_from_history(history, 3, 600) == ([100, 0, 500], True)
    assert layer_sizes_from_history(history, 2, 600) == ([100, 500], True)
    # Not explainable: the engine's total lands on the top layer, flagged inexact.
    assert layer_sizes_from_history(history, 4, 600) == ([0, 0, 0, 600], False)


def test_classic_builder_step_images_resolve_ambiguous_history():
    from dockopt.engine.usage import layer_history
    # Newest first. Two zero-sized RUN entries, only one of which made a layer: the step images
    # (one per classic-builder step) say which, by their layer counts.
    history = [{"Id": "sha256:top", "Size": 0, "CreatedBy": "/bin/sh -c #(nop)  LABEL x=1"},
               {"Id": "sha256:s3", "Size": 0, "CreatedBy": "|1 A=1 /bin/sh -c true"},
               {"Id": "sha256:s2", "Size": 0, "CreatedBy": "|1 A=1 /bin/sh -c rm -f /nothing"},
               {"Id": "sha256:s1", "Size": 70, "CreatedBy": "|1 A=1 /bin/sh -c make"},
               {"Id": "sha256:base", "Size": 30, "CreatedBy": ""}]
    counts = {"sha256:base": 1, "sha256:s1": 2, "sha256:s2": 3, "sha256:s3": 3, "sha256:top": 3}
    sizes, made_by, exact = layer_history(history, 3, 100, counts.get)
    assert exact and sizes == [30, 70, 0]
    assert made_by[2]["Id"] == "sha256:s2"
    # Without the step images the history is ambiguous and reported as such.
    assert layer_history(history, 3, 100)[2] is False


def test_inexact_images_take_shared_layer_sizes_from_exact_ones():
    from dockopt.engine.usage import ImageInfo, _fill_inexact
    image = ImageInfo(id="x", tags=[], digests=[], created_ns=0, labels={}, size=1000, engine_shared_size=-1,
                      chain=["c1", "c2", "c3"], layer_sizes=[0, 0, 1000], sizes_exact=False)
    _fill_inexact(image, {"c1": 600})
    assert image.layer_sizes == [600, 0, 400]
