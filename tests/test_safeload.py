"""The shared loaders for untrusted documents: caps on size, depth, aliases and file type."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from dockopt.errors import ImageFormatError, InputError
from dockopt.safeload import (check_depth, load_json, load_json_object, load_yaml,
                              read_regular_file, read_text_file)


def test_json_depth_cap_below_orjson_limit():
    assert load_json(b"[" * 100 + b"]" * 100, "doc") == load_json(b"[" * 100 + b"]" * 100, "doc")
    with pytest.raises(InputError, match="doc: nested deeper than 100 levels"):
        load_json(b"[" * 101 + b"]" * 101, "doc")
    with pytest.raises(InputError, match="nested deeper"):
        load_json(b"[" * 200_000 + b"]" * 200_000, "doc")


def test_json_errors_use_the_callers_class_and_name_the_document():
    with pytest.raises(ImageFormatError, match="^blob x: invalid JSON"):
        load_json(b"{", "blob x", error=ImageFormatError)
    with pytest.raises(InputError, match="too large"):
        load_json(b"[]" + b" " * 100, "doc", max_bytes=50)
    with pytest.raises(InputError, match="expected a JSON object, got a list"):
        load_json_object(b"[1,2]", "doc")
    assert load_json_object(b'{"a": [1, {"b": null}]}', "doc") == {"a": [1, {"b": None}]}


def test_check_depth_counts_objects_and_lists_alike():
    value: object = 1
    for i in range(10):
        value = {"k": value} if i % 2 else [value]
    check_depth(value, "doc", max_depth=10)
    with pytest.raises(InputError):
        check_depth(value, "doc", max_depth=9)


def test_yaml_plain_documents_load():
    assert load_yaml("a: 1\nb: [x, {c: d}]\n", "cfg") == {"a": 1, "b": ["x", {"c": "d"}]}
    assert load_yaml("", "cfg") is None


@pytest.mark.parametrize("text, message", [
    ("a: " + "[" * 300_000 + "]" * 300_000, "nest"),  # libyaml stops at 1,000 by itself
    ("a: " + "[" * 150 + "]" * 150, "nested deeper than 100 levels"),
    ("a: &x [*x]\n", "alias \\*x refers to no finished anchor"),
    ("a: *nowhere\n", "refers to no finished anchor"),
    ("--- 1\n--- 2\n", "expected a single document"),
    ("? [a, b]\n: 1\n", "mapping key must be a scalar"),
    ("a: !!set {x, y}\n", "unsupported tag"),
    ("expires: 2025-13-45\n", r"invalid value '2025-13-45': month must be in 1\.\.12 at line 1"),
    ("a: !!python/object/apply:os.system [id]\n", "unsupported tag tag:yaml.org,2002:python/object/apply"),
    ("n: !!int 12x\n", "invalid value '12x'"),
    ("a: [1, 2\n", "not valid YAML"),
])
def test_yaml_hostile_documents_are_one_error(text, message):
    with pytest.raises(InputError, match=message):
        load_yaml(text, "cfg")


def test_yaml_alias_bomb_is_refused_without_expanding():
    names = "abcdefghij"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"{names[i + 1]}: &{names[i + 1]} [" + ",".join([f"*{names[i]}"] * 9) + "]" for i in range(8)]
    code = ("import sys; from dockopt.safeload import load_yaml; from dockopt.errors import InputError\n"
            "try:\n load_yaml(sys.stdin.read(), 'cfg')\nexcept InputError as e:\n print(e)\n")
    proc = subprocess.run([sys.executable, "-c", code], input="\n".join(lines) + "\n", text=True,
                          capture_output=True, timeout=60,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)))
    assert proc.returncode == 0, proc.stderr
    assert "aliases expand to more than" in proc.stdout


SAFE_LOAD_CASES = [
    "a: 1\nb: -2.5\nc: 0x1F\nd: 0o17\ne: 1_000\nf: .inf\ng: ~\nh: null\ni: yes\nj: Off\nk: 'yes'\n",
    "when: 2027-01-31\nstamp: 2001-12-14t21:59:43.10-05:00\nplain: 2027-1-31x\n",
    "base: &b {x: 1, y: [1, 2]}\nderived:\n  <<: *b\n  y: 3\nmulti:\n  <<: [*b, {z: 9}]\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\nquoted: \"\\u00e9\\t\"\n",
    "- [a, b, {c: [d, {e: f}]}]\n- !!str 12\n- !!float 3\n- ''\n- {}\n- []\n",
    "? plain key\n: v\n1: int key\n3.5: float key\nnull: k\n",
    "list:\n- &s shared\n- *s\n- &m [1]\n- *m\n",
    "",
    "# only a comment\n",
    "--- just a scalar\n...\n",
]


@pytest.mark.parametrize("text", SAFE_LOAD_CASES)
def test_yaml_values_equal_safe_load(text):
    import yaml

    assert load_yaml(text, "cfg") == yaml.safe_load(text)


def test_yaml_large_document_is_fast_and_small():
    """100,000 ignore rules: PyYAML's loaders took 6-19 s and ~600 MB for this."""
    import time

    rules = "".join(f"- id: CVE-2024-{i:05d}\n  reason: accepted risk {i}\n  expires: 2027-01-31\n"
                    for i in range(100_000))
    started = time.monotonic()
    value = load_yaml(rules, "ignore", max_nodes=1_000_000)
    assert time.monotonic() - started < 15  # a bound with a wide margin; ~2 s here
    assert len(value) == 100_000 and value[-1]["id"] == "CVE-2024-99999"
    with pytest.raises(InputError, match="more than 200000 nodes"):
        load_yaml(rules, "ignore")


def test_yaml_shared_aliases_within_bound_load():
    assert load_yaml("x: &x {a: 1}\ny: *x\nz: *x\n", "cfg") == {"x": {"a": 1}, "y": {"a": 1}, "z": {"a": 1}}


def test_read_regular_file_refuses_fifo_device_and_directory(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is a FIFO, not a regular file"):
        read_regular_file(fifo, "Dockerfile")  # must not block waiting for a writer
    with pytest.raises(InputError, match="is a character device"):
        read_regular_file("/dev/zero", "Dockerfile")
    with pytest.raises(InputError, match="is a directory"):
        read_regular_file(tmp_path, "Dockerfile")
    link = tmp_path / "link"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="is a character device"):
        read_regular_file(link, "Dockerfile")
    with pytest.raises(InputError, match="cannot read Dockerfile .*No such file"):
        read_regular_file(tmp_path / "missing", "Dockerfile")


def test_read_regular_file_caps_size_and_reads_through_links(tmp_path):
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(InputError, match="too large"):
        read_regular_file(big, "file", max_bytes=100)
    assert read_regular_file(big, "file", max_bytes=101) == b"x" * 101
    link = tmp_path / "link"
    link.symlink_to(big)
    assert read_regular_file(link, "file") == b"x" * 101
    bad = tmp_path / "bad"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(InputError, match="not UTF-8"):
        read_text_file(bad, "file")
