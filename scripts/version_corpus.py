#!/usr/bin/env python3
"""Generate the version-ordering corpora in tests/vuln/data/versions/ (not part of CI).

For each scheme: collect published version strings (plus each scheme's documented edge cases),
ask the ecosystem's own tool to compare *every* pair, rank the strings by those answers, check
that the ranking reproduces every single answer, and write the ranking: one rank per line,
oldest first, equal versions on one line separated by tabs. A ranking of N strings encodes
N·(N−1)/2 ordered pairs, each of which the oracle answered.

    python scripts/version_corpus.py [--out DIR] [--sources DIR] SCHEME... | all

Oracles (install them first): dpkg; rpm (Debian `rpm`); Maven's ComparableVersion
(`libmaven3-core-java`); apk-tools 2.14.10's `src/version.c` compiled with a small driver
(pass the apk-tools git directory in APK_TOOLS_GIT, e.g. a clone of alpinelinux/apk-tools);
Ruby's Gem::Version (`ruby`); PHP + composer/semver (`php-cli php-composer-semver`); Elixir's
Version (`elixir`); node-semver (`npm install semver` into NODE_PATH); `packaging` for PEP 440.
Published strings come from `apt-cache dumpavail` (Debian), `pip index versions --pre` (PyPI),
`npm view PKG versions --json` (npm) and /usr/share/maven-repo, cached in --sources.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SIZE = 215  # strings per corpus: 215·214/2 = 23,005 pairs

PYPI_PACKAGES = ("requests django numpy pandas setuptools pip flask sqlalchemy cryptography urllib3 pytest "
                 "boto3 pyyaml pillow scipy jinja2 tensorflow torch celery twisted pydantic black mypy "
                 "matplotlib sphinx attrs certifi wheel tox virtualenv").split()
NPM_PACKAGES = ("react typescript webpack next vue @angular/core eslint jest lodash express electron esbuild "
                "prettier rollup vite @babel/core mocha graphql sass three").split()
# The official SemVer 2.0 grammar (semver.org), numbers without leading zeros.
STRICT_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?")


# --- published strings ---------------------------------------------------------------------

def _cached(sources: Path, name: str, produce: Callable[[], str]) -> str:
    path = sources / name
    if not path.exists():
        path.write_text(produce())
    return path.read_text()


def debian_versions(sources: Path) -> list[str]:
    text = _cached(sources, "debian-dumpavail.txt",
                   lambda: subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True,
                                          check=True).stdout)
    return sorted({line[9:].strip() for line in text.splitlines() if line.startswith("Version: ")})


def debian_packages(sources: Path, prefix: str) -> list[str]:
    """Upstream versions of Debian packages whose name starts with `prefix` (no epoch, no revision)."""
    text = _cached(sources, "debian-dumpavail.txt", lambda: "")
    found, name = set(), ""
    for line in text.splitlines():
        if line.startswith("Package: "):
            name = line[9:].strip()
        elif line.startswith("Version: ") and name.startswith(prefix):
            version = line[9:].strip().split(":", 1)[-1].rsplit("-", 1)[0]
            found.add(re.split(r"[+~]", version, maxsplit=1)[0])
    return sorted(found)


def pypi_versions(sources: Path) -> list[str]:
    found: set[str] = set()
    for package in PYPI_PACKAGES:
        text = _cached(sources, f"pypi-{package}.txt", lambda p=package: subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", "--pre", p], capture_output=True, text=True).stdout)
        for line in text.splitlines():
            if line.startswith("Available versions:"):
                found.update(v.strip() for v in line.split(":", 1)[1].split(","))
    return sorted(found)


def npm_versions(sources: Path) -> list[str]:
    found: set[str] = set()
    for package in NPM_PACKAGES:
        name = package.replace("/", "_").replace("@", "_")
        text = _cached(sources, f"npm-{name}.json", lambda p=package: subprocess.run(
            ["npm", "view", p, "versions", "--json"], capture_output=True, text=True, check=True).stdout)
        found.update(json.loads(text))
    return sorted(v for v in found if STRICT_SEMVER.fullmatch(v))


def maven_versions() -> list[str]:
    found = set()
    for pom in Path("/usr/share/maven-repo").rglob("*.pom"):
        found.add(pom.parent.name)
    return sorted(found)


def _sample(rng: random.Random, items: list[str], count: int) -> list[str]:
    items = sorted(set(items))
    return rng.sample(items, min(count, len(items)))


def _with_prereleases(rng: random.Random, versions: list[str], count: int) -> list[str]:
    """A sample that keeps the pre-releases well represented (they are where schemes differ)."""
    pre = [v for v in versions if re.search(r"[A-Za-z]", v)]
    plain = [v for v in versions if v not in set(pre)]
    half = min(len(pre), count // 2)
    return _sample(rng, pre, half) + _sample(rng, plain, count - half)


# --- the corpora's strings: published ones plus each spec's edge cases ------------------------

DEBIAN_EDGES = ["1.0", "1.00", "1.0-0", "1.0~rc1", "1.0~~", "1.0~", "1.0+", "1.0a", "1.0A", "1.0.", "1:0.1",
                "0:1.0", "1.0-1", "1.0-1ubuntu1", "1.0-1~deb12u1", "1.01", "1.1", "1.0-a", "1.0+b1", "1.0-1+b1",
                "0~20230101", "1:2.0~beta1-1", "1.0-0.1", "1.0--1", "2:1.0"]
RPM_EDGES = ["1.0", "1.0~rc1", "1.0^git1", "1.0.1", "1.0~rc1^x", "1.0a", "1.01", "1.0.0", "1_0", "1..0", "a",
             "1:1.0-1", "2.0-1", "0:1.0-1", "1.0-1", "1.0-1.el8", "1.0-1.el8_9", "2.28-236.el9",
             "2.28-236.el9_4.2", "1.0-1~beta", "10", "9", "abc", "abd", "A", "1.0-1^20230101", "1.0++", "1.0~",
             "1.0~~", "1.0^", "1.0^^", "1.0~^"]
PEP440_EDGES = ["1.0", "1.0.0", "1.0a1", "1.0.alpha1", "1.0-alpha-1", "1.0b2", "1.0c1", "1.0rc1", "1.0-RC1",
                "1.0.post1", "1.0-1", "1.0post", "1.0.dev1", "1.0-dev", "1.0a1.dev1", "1.0.post1.dev2", "1!0.1",
                "1!1.0", "1.0+local.1", "1.0+local.a", "1.0+1", "v1.0", "1.0.0.0.1", "0.0", "2012.10",
                "1.0a1.post1", "1.0_rc_2", "01.02"]
SEMVER_EDGES = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85",
                "1.0.0+21AF26D3----117B344092BD", "2.0.0", "2.1.0", "2.1.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
                "1.0.0-x-y-z.--", "1.0.0-alpha-a.b-c-somethinglong", "1.0.0-0A.is.legal", "1.0.0-A", "1.0.0-a",
                "1.0.0-Alpha", "1.0.0-alpha.0", "1.0.0-alpha.-1", "0.0.0", "0.0.1-0"]
MAVEN_EDGES = ["1", "1.0", "1-alpha", "1-alpha1", "1-a1", "1-beta", "1-b2", "1-milestone", "1-m1", "1-rc",
               "1-cr", "1-snapshot", "1-ga", "1-final", "1.0.RELEASE", "1-sp", "1-sp1", "1-foo", "1.0.1", "1-1",
               "1.1", "5.3.20.RELEASE", "5.3.20", "1-0.alpha", "1.0-alpha", "2.0.0-M1", "2.0.0", "1.0.0.Final",
               "1.0-SNAPSHOT", "1.0.0-RC1", "1.0.0.CR1", "1.2.3-jre", "32.0.0-android", "1.0a1", "1.0.x",
               "1.0-x", "1-1-1", "1.0.0.0.1", "1-xyz", "1-abc", "1.0-0", "1.0.0-", "1..1", "1-1.foo-bar1baz-.1",
               "2.0-1", "1.0RC1", "1.0-rc-1"]
RUBY_EDGES = ["1", "1.0", "1.0.0", "1.0.a", "1.0.b", "1.0.rc1", "1.0.1", "2.0.0.rc1", "2.0.0.pre", "1.9",
              "1.10", "1.0-beta", "1.0.0.a.1", "1.0.0.a1", "1.0.a.2", "0.0", "1.0.0.0.1", "3.2.0.beta1",
              "7.0.8.1", "1.0.A", "1.0.B", "5.a", "5", "5.0.b"]
PACKAGIST_EDGES = ["1.0.0", "v1.0.0", "1.0", "1", "1.0.0.0", "1.0.0-beta2", "1.0.0-beta.2", "1.0.0-b2",
                   "1.0.0-alpha", "1.0.0-a1", "1.0.0-RC1", "1.0.0-rc1", "1.0.0RC1", "1.0.0-dev", "1.0.0-beta2-dev",
                   "1.0.0-patch1", "1.0.0-pl1", "1.0.0p1", "1.0.0-stable", "1.0.0-STABLE", "1.x-dev",
                   "2.0.*-dev", "1.0.x-dev", "20230101", "2023.01.01", "2023-01-01", "20230101-beta",
                   "1.0.0+build.5", "1.0.0@beta", "1.0.0-beta.2.3", "v2.10.0", "2.10.0-RC3", "1.0.0-alpha10",
                   "1.0.0-alpha9", "10.0.0", "99999.0.0"]


def build_strings(scheme: str, sources: Path) -> tuple[list[str], str]:
    rng = random.Random(f"dockopt-{scheme}")
    if scheme == "debian":
        return (_sample(rng, debian_versions(sources), SIZE - len(DEBIAN_EDGES)) + DEBIAN_EDGES,
                "Version fields of every package in this machine's apt lists (`apt-cache dumpavail`, Debian 12 "
                "bookworm + updates + security), sampled, plus dpkg's documented edge cases")
    if scheme == "rpm":
        debian = _sample(rng, debian_versions(sources), 110)
        upstream = _sample(rng, debian_packages(sources, ""), 30)
        made = []
        for v in upstream:
            made.append(rng.choice([f"{v}-1.el9", f"{v}-{rng.randint(1, 40)}.el9_4.{rng.randint(1, 3)}",
                                    f"{v}~rc1-1.fc40", f"{v}^20230101git1a2b3c-1", f"1:{v}-2.el8",
                                    f"{v}-0.1.beta2.el9"]))
        made += [f"{v}-1.el9" for v in rng.sample(upstream, 25)]
        return (debian + made + RPM_EDGES,
                "Debian version strings from `apt-cache dumpavail` (rpm orders any string), Debian upstream "
                "versions with Fedora/RHEL-style releases (.el9_4.1, ~rc, ^git snapshots, epochs) added, and "
                "rpm's documented ~ / ^ edge cases")
    if scheme == "alpine":
        git = os.environ.get("APK_TOOLS_GIT")
        data = subprocess.run(["git", "-C", git, "show", "v2.14.10:test/version.data"], capture_output=True,
                              text=True, check=True).stdout
        apk_strings = sorted({w for line in data.splitlines() for w in line.split("#")[0].split()[0:3:2]})
        upstream = [v for v in debian_packages(sources, "") if re.fullmatch(r"[0-9][0-9a-z._]*", v)]
        made = [f"{v}-r{rng.randint(0, 12)}" for v in _sample(rng, upstream, 70)]
        made += ["6.6.1p1-r2", "6.6.1p1-r3", "5.7.1p1-r0", "5.7.1p1-r1", "9.3_p2-r1", "9.3_p2-r0"]
        return (_sample(rng, apk_strings, SIZE - len(made)) + made,
                "the version strings of apk-tools' own test/version.data (v2.14.10), Debian upstream versions "
                "that fit apk's grammar with -rN revisions added, and openssh-style letter+digit versions")
    if scheme == "pep440":
        return (_with_prereleases(rng, pypi_versions(sources), SIZE - len(PEP440_EDGES)) + PEP440_EDGES,
                f"`pip index versions --pre` of {len(PYPI_PACKAGES)} PyPI projects ({', '.join(PYPI_PACKAGES)}), "
                "sampled, plus the spellings PEP 440 documents (alternative separators, implicit numbers, "
                "epochs, local labels)")
    npm = npm_versions(sources)
    npm_note = (f"`npm view PKG versions --json` of {len(NPM_PACKAGES)} npm packages "
                f"({', '.join(NPM_PACKAGES)}), sampled")
    if scheme == "semver":
        return (_with_prereleases(rng, npm, SIZE - len(SEMVER_EDGES)) + SEMVER_EDGES,
                npm_note + ", plus semver.org's examples")
    if scheme == "maven":
        upstream = _sample(rng, debian_packages(sources, "lib"), 140)
        made = [v + rng.choice(["-SNAPSHOT", ".Final", "-M2", "-rc1", ".RELEASE", "-beta-3", "-jre", "-android",
                                ".CR2", "-alpha", "-sp1", "-1"]) for v in upstream[:40]]
        return (maven_versions() + upstream[40:] + made + MAVEN_EDGES,
                "versions of the artifacts in Debian's /usr/share/maven-repo, Debian upstream versions of lib* "
                "packages (some with Maven qualifiers added), and the qualifier cases of ComparableVersion's "
                "documentation")
    if scheme == "rubygems":
        ok = re.compile(r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
        debian = [v for v in debian_packages(sources, "ruby-") if ok.fullmatch(v)]
        specs = Path("/usr/lib/ruby/gems/3.1.0/specifications/default")
        gems = [p.stem.rsplit("-", 1)[1] for p in specs.glob("*.gemspec")] if specs.exists() else []
        made = [f"{v}.{rng.choice(['rc1', 'pre', 'beta.2', 'a', 'alpha1', 'rc.2'])}"
                for v in _sample(rng, debian, 40)]
        return (_sample(rng, debian, 120) + _sample(rng, gems, 30) + made + RUBY_EDGES,
                "upstream versions of Debian's ruby-* packages (`apt-cache dumpavail`) and of Ruby 3.1's default "
                "gems, some with pre-release segments added, plus Gem::Version's documented cases")
    if scheme == "packagist":
        upstream = [v for v in debian_packages(sources, "php-") if re.fullmatch(r"[0-9][0-9.]*[0-9]", v)]
        made = []
        for v in _sample(rng, upstream, 60):
            made.append(rng.choice([f"v{v}", f"{v}-beta{rng.randint(1, 3)}", f"{v}-RC{rng.randint(1, 3)}",
                                    f"{v}-alpha.{rng.randint(1, 3)}", f"{v}-dev", f"{v}-patch1", f"{v}p2",
                                    f"{v}-beta2-dev", f"{v}-stable", f"{v}+build.1"]))
        return (_sample(rng, upstream, 120) + made + PACKAGIST_EDGES,
                "upstream versions of Debian's php-* packages (`apt-cache dumpavail`, the Composer libraries "
                "Debian ships), some with Composer's v-prefix/stability/-dev/build forms added, plus "
                "VersionParser's documented cases")
    if scheme == "hex":
        made = [f"{v}+{rng.choice(['build.1', '20230101', 'exp.sha.5114f85', 'otp-26'])}"
                for v in _sample(rng, npm, 25)]
        return (_with_prereleases(rng, npm, SIZE - len(made) - len(SEMVER_EDGES)) + made + SEMVER_EDGES,
                npm_note + " (SemVer 2.0 strings, which Hex shares), some with build metadata, plus semver.org's "
                "examples; no Hex index is reachable from here")
    if scheme == "pub":
        made = [f"{v}+{rng.choice(['1', '2', '10', 'build.1', 'build.11', 'build.2', 'a', 'A', '001'])}"
                for v in _sample(rng, npm, 60)]
        made += ["1.0.0+1", "1.0.0+2", "1.0.0+1.1", "1.0.0+a", "1.0.0-beta+1", "1.0.0-beta"]
        edges = [v for v in SEMVER_EDGES if "-1" not in v]  # "-1" is a number to Dart, text to node-semver
        return (_with_prereleases(rng, npm, SIZE - len(made) - len(edges)) + made + edges,
                npm_note + " (SemVer strings), many with build metadata (Pub orders builds), plus semver.org's "
                "examples; no pub.dev index is reachable from here")
    if scheme == "nuget":
        def recase(v: str) -> str:
            head, _, rest = v.partition("-")
            return head + ("-" + "".join(c.upper() if rng.random() < 0.4 else c for c in rest) if rest else "")
        base = _with_prereleases(rng, npm, 190)
        made = [recase(v) for v in base[:60]]
        made += [f"{v}+{rng.choice(['sha.1a2b', 'build.5', '001'])}" for v in base[60:80]]
        made += [re.sub(r"^(\d+\.\d+\.\d+)", r"\1.0", v) for v in base[80:100]]
        made += [re.sub(r"^(\d+\.\d+)\.0\b", r"\1", v) for v in base[100:120] if re.match(r"^\d+\.\d+\.0\b", v)]
        edges = [v for v in SEMVER_EDGES if "-1" not in v]  # "-1" is a number to NuGet, text to node-semver
        return (base[120:] + made + edges,
                npm_note + " (SemVer strings), with label case changed, metadata added, a fourth `.0` part or "
                "a two-part form, plus semver.org's examples; no nuget.org index is reachable from here")
    raise SystemExit(f"unknown scheme {scheme}")


# --- oracles: every pair, in one batch -------------------------------------------------------

def _lines(cmd: list[str], pairs: list[tuple[str, str]], **kwargs) -> list[str]:
    text = "".join(f"{a}\t{b}\n" for a, b in pairs)
    out = subprocess.run(cmd, input=text, capture_output=True, text=True, check=True, **kwargs).stdout.split()
    if len(out) != len(pairs):
        raise SystemExit(f"{cmd[0]}: {len(out)} answers for {len(pairs)} pairs")
    return out


def dpkg_oracle(pairs):
    # dpkg itself, three-way from two of its relations.
    script = 'while IFS="\t" read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; ' \
             'elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done'
    return [int(x) for x in _lines(["bash", "-c", script], pairs, env={**os.environ, "LC_ALL": "C"})]


def rpm_oracle(pairs):
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "pairs.txt"
        data.write_text("".join(f"{a}\t{b}\n" for a, b in pairs))
        lua = Path(tmp) / "cmp.lua"
        lua.write_text(f'local out = {{}} for line in io.lines("{data}") do '
                       'local a, b = line:match("^([^\\t]*)\\t(.*)$") out[#out + 1] = tostring(rpm.vercmp(a, b)) end '
                       'print(table.concat(out, " "))')
        out = subprocess.run(["rpm", "--eval", f'%{{lua: dofile("{lua}")}}'], capture_output=True, text=True,
                             check=True).stdout.split()
    return [int(x) for x in out]


APK_DRIVER = r"""
#include <stdio.h>
#include <string.h>
#include "apk_version.h"
int main(void) {
    static char line[65536];
    while (fgets(line, sizeof line, stdin)) {
        char *tab = strchr(line, '\t'), *end = strchr(line, '\n');
        if (!tab) return 1;
        *tab = 0; if (end) *end = 0;
        int r = apk_version_compare(line, tab + 1);
        puts(r == APK_VERSION_LESS ? "-1" : r == APK_VERSION_GREATER ? "1" : "0");
    }
    return 0;
}
"""


@functools.cache
def apk_binary() -> str:
    git = os.environ.get("APK_TOOLS_GIT")
    if not git:
        raise SystemExit("set APK_TOOLS_GIT to an apk-tools git directory (alpinelinux/apk-tools)")
    build = Path(tempfile.mkdtemp(prefix="apkvercmp-"))
    for name in ("src/version.c", "src/apk_defines.h", "src/apk_version.h", "src/apk_blob.h", "src/apk_openssl.h"):
        blob = subprocess.run(["git", "-C", git, "show", f"v2.14.10:{name}"], capture_output=True, check=True).stdout
        (build / Path(name).name).write_bytes(blob)
    (build / "driver.c").write_text(APK_DRIVER)
    subprocess.run(["gcc", "-O2", "-I", str(build), "-o", str(build / "apkvercmp"), str(build / "driver.c"),
                    str(build / "version.c")], check=True)
    return str(build / "apkvercmp")


def apk_oracle(pairs):
    return [int(x) for x in _lines([apk_binary()], pairs)]


MAVEN_JAR = "/usr/share/java/maven-artifact-3.x.jar"


def maven_oracle(pairs):
    # ComparableVersion's main compares each argument with the next: pass a1 b1 a2 b2 … and keep
    # every other answer.
    results = []
    for start in range(0, len(pairs), 4000):
        chunk = pairs[start:start + 4000]
        args = [v for pair in chunk for v in pair]
        out = subprocess.run(["java", "-cp", MAVEN_JAR, "org.apache.maven.artifact.versioning.ComparableVersion",
                              *args], capture_output=True, text=True, check=True).stdout
        answers = [line.split()[1] for line in out.splitlines() if line.startswith("   ")]
        results += [{"<": -1, "==": 0, ">": 1}[op] for op in answers[0::2]]
    return results


def ruby_oracle(pairs):
    script = 'STDIN.each_line { |l| a, b = l.chomp.split("\\t", 2); puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }'
    return [int(x) for x in _lines(["ruby", "-e", script], pairs)]


PHP_SCRIPT = r"""<?php
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\Comparator; use Composer\Semver\VersionParser;
$p = new VersionParser();
while (($line = fgets(STDIN)) !== false) {
    [$a, $b] = explode("\t", rtrim($line, "\n"), 2);
    $na = $p->normalize($a); $nb = $p->normalize($b);
    echo Comparator::lessThan($na, $nb) ? -1 : (Comparator::equalTo($na, $nb) ? 0 : 1), "\n";
}
"""


def packagist_oracle(pairs):
    with tempfile.NamedTemporaryFile("w", suffix=".php", delete=False) as handle:
        handle.write(PHP_SCRIPT)
    try:
        return [int(x) for x in _lines(["php", handle.name], pairs)]
    finally:
        os.unlink(handle.name)


def hex_oracle(pairs):
    script = ('IO.stream(:stdio, :line) |> Enum.each(fn l -> [a, b] = l |> String.trim_trailing("\\n") |> '
              'String.split("\\t", parts: 2); IO.puts(case Version.compare(a, b) do :lt -> -1; :eq -> 0; '
              ':gt -> 1 end) end)')
    return [int(x) for x in _lines(["elixir", "-e", script], pairs)]


def node_oracle(function: str, normalise: str = "v => v"):
    def oracle(pairs):
        script = ('const semver = require("semver"); const norm = ' + normalise + '; let out = []; '
                  'for (const l of require("fs").readFileSync(0, "utf8").split("\\n")) { if (!l) continue; '
                  'const [a, b] = l.split("\\t"); out.push(semver.' + function + '(norm(a), norm(b))); } '
                  'console.log(out.join("\\n"))')
        return [int(x) for x in _lines(["node", "-e", script], pairs)]
    return oracle


# NuGet through node-semver: metadata dropped, labels lower-cased (NuGet compares them
# case-insensitively, and for [0-9A-Za-z-] lower- and upper-casing order alike), a fourth `.0`
# dropped and a two-part version padded (NuGet reads missing parts as 0).
NUGET_NORMALISE = ('v => { v = v.split("+")[0]; let [h, ...r] = v.split("-"); const p = h.split("."); '
                   'while (p.length > 3 && p[p.length - 1] === "0") p.pop(); while (p.length < 3) p.push("0"); '
                   'if (p.length > 3) throw new Error("4-part " + v); '
                   'return p.join(".") + (r.length ? "-" + r.join("-").toLowerCase() : ""); }')


def pep440_oracle(pairs):
    from packaging.version import Version

    return [(Version(a) > Version(b)) - (Version(a) < Version(b)) for a, b in pairs]


def tool_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        return "?"


def oracles() -> dict[str, tuple[Callable, Callable[[], str]]]:
    node_semver = lambda: "node-semver " + tool_version(["node", "-p", 'require("semver/package.json").version'])
    return {
        "debian": (dpkg_oracle, lambda: "dpkg --compare-versions, " + tool_version(["dpkg-query", "-W", "-f",
                                                                                     "dpkg ${Version}", "dpkg"])),
        "rpm": (rpm_oracle, lambda: "rpm.vercmp (rpm's Lua API), " + tool_version(["rpm", "--version"])),
        "alpine": (apk_oracle, lambda: "apk_version_compare() of apk-tools v2.14.10 src/version.c, compiled "
                                       "with a 20-line driver"),
        "maven": (maven_oracle, lambda: "org.apache.maven.artifact.versioning.ComparableVersion, Debian "
                                        + tool_version(["dpkg-query", "-W", "-f", "libmaven3-core-java ${Version}",
                                                        "libmaven3-core-java"])),
        "rubygems": (ruby_oracle, lambda: "Gem::Version#<=>, rubygems "
                                          + tool_version(["ruby", "-e", "print Gem::VERSION, ' on ruby ', RUBY_VERSION"])),
        "packagist": (packagist_oracle, lambda: "Composer\\Semver Comparator over VersionParser::normalize, "
                                                + tool_version(["dpkg-query", "-W", "-f",
                                                                "php-composer-semver ${Version}",
                                                                "php-composer-semver"])
                                                + ", " + tool_version(["php", "-r", "echo 'PHP ', PHP_VERSION;"])),
        "hex": (hex_oracle, lambda: "Elixir Version.compare/2, " + tool_version(["elixir", "--short-version"])
                .join(["Elixir ", ""])),
        "semver": (node_oracle("compare"), node_semver),
        "pub": (node_oracle("compareBuild"),
                lambda: node_semver() + " compareBuild (pub_semver's order on SemVer strings: builds after "
                                        "the release, compared like pre-releases); no Dart SDK here"),
        "nuget": (node_oracle("compare", NUGET_NORMALISE),
                  lambda: node_semver() + " compare after NuGet's documented normalisation (metadata ignored, "
                                          "labels case-insensitive, missing/fourth zero parts); no .NET here"),
        "pep440": (pep440_oracle, lambda: "packaging.version.Version (the PEP 440 reference implementation), "
                                          "packaging " + __import__("packaging").__version__),
    }


# --- ranking ---------------------------------------------------------------------------------

def rank(strings: list[str], oracle: Callable) -> tuple[list[list[str]], list[str]]:
    """The oracle's ranking of `strings`, and the strings left out because the oracle's own answers
    about them are not transitive (Maven's ComparableVersion has such cases)."""
    strings = list(dict.fromkeys(strings))
    pairs = [(a, b) for i, a in enumerate(strings) for b in strings[i + 1:]]
    table = {}
    for (a, b), r in zip(pairs, oracle(pairs)):
        table[a, b], table[b, a] = r, -r
    dropped: list[str] = []
    kept = list(strings)
    while True:
        # In a total order, how many versions one beats (equal ones counting half) ranks it.
        score = {a: sum(table[a, b] + 1 for b in kept if b != a) for a in kept}
        ordered = sorted(kept, key=lambda v: score[v])
        groups: list[list[str]] = []
        for version in ordered:
            if groups and table[groups[-1][0], version] == 0:
                groups[-1].append(version)
            else:
                groups.append([version])
        position = {v: i for i, group in enumerate(groups) for v in group}
        wrong: dict[str, int] = {}
        for i, a in enumerate(kept):
            for b in kept[i + 1:]:
                if (position[a] > position[b]) - (position[a] < position[b]) != table[a, b]:
                    wrong[a] = wrong.get(a, 0) + 1
                    wrong[b] = wrong.get(b, 0) + 1
        if not wrong:
            return groups, dropped
        worst = max(wrong, key=lambda v: (wrong[v], v))
        dropped.append(worst)
        kept.remove(worst)


def write(scheme: str, groups: list[list[str]], dropped: list[str], source: str, oracle: str, out: Path) -> int:
    count = sum(len(g) for g in groups)
    vectors = count * (count - 1) // 2
    header = [f"# {scheme} version ordering corpus: {count} versions in {len(groups)} ranks, {vectors} vectors.",
              f"# Strings: {source}.",
              f"# Oracle: {oracle}; every one of the {vectors} pairs was compared by it.",
              f"# Generated {dt.date.today().isoformat()} by scripts/version_corpus.py.",
              "# One rank per line, oldest first; versions on one line are equal (tab-separated)."]
    if dropped:
        header.insert(3, "# Left out, because the oracle's answers about them are not transitive: "
                         + " ".join(dropped) + ".")
    body = ["\t".join(group) for group in groups]
    (out / f"{scheme}.txt").write_text("\n".join(header + body) + "\n")
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("schemes", nargs="+")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/vuln/data/versions")
    parser.add_argument("--sources", type=Path, default=Path("/tmp/dockopt-version-sources"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.sources.mkdir(parents=True, exist_ok=True)
    table = oracles()
    schemes = list(table) if args.schemes == ["all"] else args.schemes
    for scheme in schemes:
        oracle, describe = table[scheme]
        strings, source = build_strings(scheme, args.sources)
        groups, dropped = rank(strings, oracle)
        vectors = write(scheme, groups, dropped, source, describe(), args.out)
        print(f"{scheme}: {sum(map(len, groups))} versions, {vectors} vectors, left out {dropped}", flush=True)


if __name__ == "__main__":
    if shutil.which("git") is None:
        raise SystemExit("git is needed")
    main()
