"""Differential fuzz of dockopt's `buildkit` .dockerignore dialect against moby/patternmatcher.

Run by hand (not a test: it needs a Go toolchain and the patternmatcher sources):

    apt-get install golang-go golang-github-moby-patternmatcher-dev
    cd bench/context_oracle
    GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/pm-oracle .
    ../../.venv/bin/python fuzz.py /tmp/pm-oracle 20000

Random pattern lists (wildcards, `**`, classes, escapes, regex characters, `!` exceptions,
`./` and `/` prefixes, bad syntax) over random trees; for every path, the Go library's
MatchesUsingParentResults (walk order) must equal dockopt's verdict, and a pattern list Go
rejects must be rejected by dockopt too.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

from dockopt.dockerfile.gopath import go_match
from dockopt.dockerfile.dockerignore import IgnorePatternError, PatternMatcher, read_ignore_lines

NAMES = ["a", "b", "ab", "a.b", "a+b", "foo", ".env", "x y", "a(b)", "b{1}", "qux", "barqux", "$x", "é"]
PIECES = ["a", "b", "ab", "*", "**", "?", "[ab]", "[^a]", "[a-c]", "a+b", ".", "\\*", "\\a", "(", ")",
          "{1}", "$", "foo", "qux", ".env", "a.b", "x y", "[", "é", "\\"]


def random_tree(rng: random.Random) -> list[str]:
    paths: set[str] = set()
    for _ in range(rng.randint(1, 12)):
        depth = rng.randint(1, 4)
        parts = [rng.choice(NAMES) for _ in range(depth)]
        for d in range(1, depth + 1):
            paths.add("/".join(parts[:d]))
    return sorted(paths, key=lambda p: (p.count("/"), p))


def random_pattern(rng: random.Random) -> str:
    segments = []
    for _ in range(rng.randint(1, 3)):
        segments.append("".join(rng.choice(PIECES) for _ in range(rng.randint(1, 2))))
    text = "/".join(segments)
    if rng.random() < 0.1:
        text = rng.choice(["./", "/", "../"]) + text
    if rng.random() < 0.3:
        text = "!" + text
    return text


def main() -> None:
    oracle, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    dialect = sys.argv[3] if len(sys.argv) > 3 else "buildkit"
    oracle_args = [oracle, "-legacy"] if dialect.startswith("legacy") else [oracle]
    rng = random.Random(1234)
    cases = []
    for _ in range(count):
        text = "\n".join(random_pattern(rng) for _ in range(rng.randint(1, 5))) + "\n"
        cases.append((text, random_tree(rng)))
    payload = [{"patterns": [p for _, p in read_ignore_lines(t)], "paths": paths} for t, paths in cases]
    proc = subprocess.run(oracle_args, input=json.dumps(payload), capture_output=True, text=True, check=True)
    results = json.loads(proc.stdout)
    compared = disagreements = 0
    for (text, paths), expected in zip(cases, results):
        try:
            matcher = PatternMatcher.from_text(text, dialect)
            error = None
        except IgnorePatternError as exc:
            matcher, error = None, str(exc)
        if bool(error) != bool(expected.get("new_error")):
            disagreements += 1
            print("ERROR MISMATCH", repr(text), "dockopt:", error, "go:", expected.get("new_error"))
            continue
        if matcher is None:
            continue
        verdicts = expected["excluded"] or []
        for index, path in enumerate(paths):
            compared += 1
            try:
                got = matcher.excluded(path)
            except IgnorePatternError as exc:
                # Docker compiles lazily: the walk fails at the first path that needs the pattern
                if not (expected.get("error") and len(verdicts) == index):
                    disagreements += 1
                    print("LAZY ERROR MISMATCH", repr(text), path, exc, expected.get("error"))
                break
            if index >= len(verdicts):
                disagreements += 1
                print("GO FAILED HERE", repr(text), path, expected.get("error"))
                break
            if got != verdicts[index]:
                disagreements += 1
                print("MISMATCH", repr(text), path, "dockopt:", got, "go:", verdicts[index])
    # Go's filepath.Match itself (COPY/ADD wildcards and the syntax check)
    pairs = [(random_pattern(rng).lstrip("!"), rng.choice(random_tree(rng))) for _ in range(count)]
    proc = subprocess.run([oracle, "-filepath-match"], input=json.dumps([{"pattern": p, "name": n} for p, n in pairs]),
                          capture_output=True, text=True, check=True)
    answers = json.loads(proc.stdout)
    hits = sum(a["matched"] for a in answers)
    bad = sum(bool(a.get("error")) for a in answers)
    for (pattern, name), answer in zip(pairs, answers):
        matched, error = go_match(pattern, name)
        if matched != answer["matched"] or bool(error) != bool(answer.get("error")):
            disagreements += 1
            print("FILEPATH.MATCH MISMATCH", repr(pattern), repr(name), (matched, error), answer)
    print(f"{dialect}: {count} filepath.Match pairs ({hits} matches, {bad} syntax errors), {count} pattern lists, {compared} path verdicts compared, {disagreements} disagreements")
    sys.exit(1 if disagreements else 0)


if __name__ == "__main__":
    main()
