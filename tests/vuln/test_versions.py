"""Version schemes against their real oracles (dpkg, rpm, Maven's ComparableVersion) where
they exist on this machine, and against vectors written here where they do not (apk, PEP 440,
SemVer, RubyGems)."""

from __future__ import annotations

import os
import random
import subprocess

import pytest

from dockopt.vuln.versions import InvalidVersion, compare
from tests.oracles import require_tools

SIGN = {"<": -1, "=": 0, ">": 1}


def _assert_vectors(scheme: str, vectors: str) -> None:
    failures = []
    for line in vectors.strip().splitlines():
        a, op, b = line.split()
        if compare(scheme, a, b) != SIGN[op]:
            failures.append(line)
        if compare(scheme, b, a) != -SIGN[op]:
            failures.append(f"(reversed) {line}")
    assert not failures, failures


# --- Debian: dpkg --compare-versions -------------------------------------------------------

DEBIAN_TRICKY = [
    ("1.0", "1.0"), ("1.0", "1.00"), ("1.0-0", "1.0"), ("1.0~rc1", "1.0"), ("1.0~~", "1.0~"),
    ("1.0~", "1.0"), ("1.0", "1.0+"), ("1.0a", "1.0+"), ("1.0a", "1.0A"), ("1.0.", "1.0"),
    ("1:0.1", "9.9"), ("0:1.0", "1.0"), ("1.0-1", "1.0-1ubuntu1"), ("1.0-1~deb12u1", "1.0-1"),
    ("2.36-9+deb12u4", "2.36-9+deb12u10"), ("3.0.11-1~deb12u2", "3.0.11-1"), ("1.2.3+dfsg-1", "1.2.3-1"),
    ("10", "9"), ("1.01", "1.1"), ("1.0-a", "1.0-0"), ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12"),
    ("1:2.0~beta1-1", "1:2.0-0.1"), ("1.0+b1", "1.0"), ("1.0-1+b1", "1.0-1"), ("0~20230101", "0"),
]


def _random_debian(rng: random.Random) -> str:
    atoms = ["0", "1", "2", "9", "10", "01", "007", "a", "b", "z", "A", "Z", ".", "+", "~", "~~", "rc", "dfsg"]
    upstream = rng.choice(["0", "1", "2", "10", "1.0", "2.3"]) + "".join(
        rng.choice(atoms) for _ in range(rng.randint(0, 5)))
    version = upstream
    if rng.random() < 0.6:
        version += "-" + rng.choice(["0", "1", "2", "1ubuntu1", "1~deb12u1", "1+deb12u2", "a"]) + "".join(
            rng.choice(atoms) for _ in range(rng.randint(0, 2)))
    if rng.random() < 0.2:
        version = f"{rng.randint(0, 3)}:{version}"
    return version


def test_debian_against_dpkg():
    require_tools("dpkg", install="the Debian package dpkg")
    rng = random.Random(4242)
    pairs = list(DEBIAN_TRICKY)
    pairs += [(_random_debian(rng), _random_debian(rng)) for _ in range(1500)]
    # Pairs of near neighbours exercise the subtle cases more than unrelated versions do.
    for _ in range(500):
        a = _random_debian(rng)
        pairs.append((a, a + rng.choice(["~", "0", ".0", "a", "+", "-0", "~rc1"])))
    script = "".join(
        f"if dpkg --compare-versions '{a}' lt '{b}'; then echo -1; "
        f"elif dpkg --compare-versions '{a}' eq '{b}'; then echo 0; else echo 1; fi\n"
        for a, b in pairs)
    out = subprocess.run(["bash"], input=script, capture_output=True, text=True, check=True,
                         env={**os.environ, "LC_ALL": "C"}).stdout.split()
    assert len(out) == len(pairs)
    mismatches = [(a, b, int(o), compare("debian", a, b)) for (a, b), o in zip(pairs, out)
                  if int(o) != compare("debian", a, b)]
    assert not mismatches, mismatches[:20]


def test_debian_rejects_garbage():
    with pytest.raises(InvalidVersion):
        compare("debian", "abc", "1.0")
    with pytest.raises(InvalidVersion):
        compare("debian", "x:1.0", "1.0")


# --- RPM: rpm's own rpm.vercmp ------------------------------------------------------------

RPM_TRICKY = [
    ("1.0", "1.0"), ("1.0~rc1", "1.0"), ("1.0^git1", "1.0"), ("1.0^git1", "1.0.1"), ("1.0~rc1^x", "1.0~rc1"),
    ("1.0a", "1.0.1"), ("1.0a", "1.0"), ("1.01", "1.1"), ("1.0", "1.0.0"), ("1_0", "1.0"), ("1..0", "1.0"),
    ("a", "1"), ("1:1.0-1", "2.0-1"), ("0:1.0-1", "1.0-1"), ("1.0-1", "1.0"), ("1.0-1.el8", "1.0-1.el8_9"),
    ("2.28-236.el9", "2.28-236.el9_4.2"), ("1.0-1~beta", "1.0-1"), ("10", "9"), ("abc", "abd"), ("A", "a"),
    ("1.0-1^20230101", "1.0-1"), ("1.0++", "1.0"), ("1.0~", "1.0"), ("1.0~~", "1.0~"),
]


def _random_rpm(rng: random.Random) -> str:
    atoms = ["0", "1", "2", "10", "01", "a", "b", "Z", ".", "_", "~", "^", "+", "rc", "el8", "git"]
    version = rng.choice(["0", "1", "2", "1.0", "2.3"]) + "".join(rng.choice(atoms) for _ in range(rng.randint(0, 5)))
    if rng.random() < 0.6:
        version += "-" + rng.choice(["1", "2", "1.el8", "0.1", "a"]) + "".join(
            rng.choice(atoms) for _ in range(rng.randint(0, 2)))
    if rng.random() < 0.2:
        version = f"{rng.randint(0, 2)}:{version}"
    return version


def test_rpm_against_rpm_vercmp(tmp_path):
    require_tools("rpm", install="the Debian package rpm")
    rng = random.Random(1717)
    pairs = list(RPM_TRICKY)
    pairs += [(_random_rpm(rng), _random_rpm(rng)) for _ in range(2000)]
    for _ in range(500):
        a = _random_rpm(rng)
        pairs.append((a, a + rng.choice(["~", "^", "0", ".0", "a", "_1", "~rc1", "^1"])))
    table = ",".join(f'{{"{a}","{b}"}}' for a, b in pairs)
    lua = (f"local p = {{{table}}} local out = {{}} "
           "for i, v in ipairs(p) do out[i] = tostring(rpm.vercmp(v[1], v[2])) end "
           'print(table.concat(out, " "))')
    script = tmp_path / "pairs.lua"
    script.write_text(lua)
    out = subprocess.run(["rpm", "--eval", f'%{{lua: dofile("{script}")}}'], capture_output=True, text=True,
                         check=True).stdout.split()
    assert len(out) == len(pairs)
    mismatches = [(a, b, int(o), compare("rpm", a, b)) for (a, b), o in zip(pairs, out)
                  if int(o) != compare("rpm", a, b)]
    assert not mismatches, mismatches[:20]


# --- Maven: ComparableVersion from Debian's Maven ------------------------------------------

MAVEN_JAR = "/usr/share/java/maven-artifact-3.x.jar"


def _random_maven(rng: random.Random) -> str:
    atoms = ["0", "1", "2", "10", "alpha", "beta", "a", "b", "m", "rc", "cr", "snapshot", "ga", "final",
             "release", "sp", "foo", "x", "."]
    seps = [".", "-", ""]
    parts = [rng.choice(["1", "2", "1.0", "0"])]
    for _ in range(rng.randint(0, 4)):
        parts.append(rng.choice(seps) + rng.choice(atoms))
    return "".join(parts).strip(".-") or "1"


def test_maven_against_comparable_version():
    require_tools("java", files=(MAVEN_JAR,), install="the Debian packages default-jre-headless and libmaven3-core-java")
    rng = random.Random(99)
    fixed = ["1", "1.0", "1-alpha", "1-alpha1", "1-a1", "1-beta", "1-b2", "1-milestone", "1-m1", "1-rc", "1-cr",
             "1-snapshot", "1-ga", "1-final", "1.0.RELEASE", "1-sp", "1-sp1", "1-foo", "1.0.1", "1-1", "1.1",
             "5.3.20.RELEASE", "5.3.20", "1-0.alpha", "1.0-alpha", "2.0.0-M1", "2.0.0", "1.0.0.Final", "1.0-SNAPSHOT",
             "1.0.0-RC1", "1.0.0.CR1", "1.2.3-jre", "32.0.0-android", "1.0a1", "1.0.x", "1.0-x", "1-1-1", "1.0.0.0.1"]
    sequences = [fixed] + [[_random_maven(rng) for _ in range(400)] for _ in range(6)]
    failures = []
    for seq in sequences:
        out = subprocess.run(["java", "-cp", MAVEN_JAR, "org.apache.maven.artifact.versioning.ComparableVersion",
                              *seq], capture_output=True, text=True, check=True).stdout
        results = [line.split() for line in out.splitlines() if line.startswith("   ")]
        assert len(results) == len(seq) - 1
        for (a, op, b), x, y in zip(results, seq, seq[1:]):
            expected = {"<": -1, "==": 0, ">": 1}[op]
            if compare("maven", x, y) != expected:
                failures.append((x, op, y))
    assert not failures, failures[:20]


# --- Alpine: apk-tools 2.14 rules (no apk here; the corpus test checks apk's own orderings) ---

ALPINE_VECTORS = """
1.0 < 1.0.1
1.0 > 1.0_rc1
1.0_rc1 < 1.0_rc2
1.0_alpha < 1.0_beta
1.0_beta < 1.0_pre
1.0_pre < 1.0_rc
1.0 < 1.0_p1
1.0_p1 < 1.0_p2
1.0_p9 < 1.0_p10
1.0_cvs < 1.0_svn
1.0_git20230101 > 1.0
1.0_hg1 < 1.0_p1
1.2.3 < 1.2.3-r1
1.2.3-r9 < 1.2.3-r10
1.2.3-r1 < 1.2.4
1.2.3a < 1.2.3b
1.2.3 < 1.2.3a
1.2.3a > 1.2.3_p1
1.2.3a < 1.2.4
1.01 < 1.1
1.001 < 1.01
1.010 > 1.01
1.0 = 1.0
1.0-r0 > 1.0
3.0.12-r0 < 3.0.13-r0
3.1.4-r5 > 3.1.4-r2
1.36.1-r15 < 1.36.1-r20
2.4.58-r0 < 2.4.59-r0
10.0 > 9.99
1.0~abc123 > 1.0
1.0~abc123-r1 > 1.0-r1
1.0_alpha_pre2 < 1.0_alpha
1.0_rc1-r1 < 1.0
20230101 > 1.0
1.0 < 1.0bc
02.08.01b < 4.77
2.10.1 > 02.08.01b
1.2.07.8 < 1.2.12.04
1.06-r6 < 006
0.59s-r11 < 0.65
1.7 < 1.7b
1.8.5 < 1.8.5_p2
2.5.1-r8 < 2.5.1a-r1
0.9.8c-r1 < 0.9.8d
3.0.20060720 < 20060720
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
6.6.1p1-r2 < 6.6.1p1-r3
5.7.1p1-r0 < 5.7.1p1-r1
9.3p1-r0 < 9.3p2-r0
9.3p2-r0 < 9.4p1-r0
1.2a3.4 > 1.2a3
1.00 < 1.0
006 > 1.06-r6
1.0_foo < 1.0
1.0_rc2_p1 > 1.0_rc2
1.0-r1-r2 > 1.0-r1
1.0~ab12-r1 = 1.0~cd34-r9
1.0~ab12-r1 > 1.0-r5
1.0~ab12-r1 > 1.0.1
1.0~ab12-r1 < 1.1
1.123456789012345678 = 1.999999999999999999
"""


def test_alpine_vectors():
    _assert_vectors("alpine", ALPINE_VECTORS)


def test_alpine_rejects_non_versions():
    with pytest.raises(InvalidVersion):
        compare("alpine", "abc", "1.0")


def test_alpine_revision_after_letter_digits_closes_a_range():
    # openssh-style versions: a fix in -r3 must leave -r3 unaffected and -r2 affected.
    from dockopt.vuln.ranges import walk

    events = [("introduced", "0"), ("fixed", "6.6.1p1-r3")]
    assert walk("6.6.1p1-r2", "ECOSYSTEM", events, "alpine") is not None
    assert walk("6.6.1p1-r3", "ECOSYSTEM", events, "alpine") is None


# --- PEP 440, SemVer, RubyGems --------------------------------------------------------------

PEP440_VECTORS = """
1.0 = 1.0.0
1.0a1 < 1.0b1
1.0b1 < 1.0rc1
1.0rc1 < 1.0
1.0 < 1.0.post1
1.0.dev1 < 1.0a1
1!0.1 > 2.0
1.0+local < 1.0.1
2.31.0 > 2.4.0
1.0.0-rc.1 = 1.0rc1
"""

SEMVER_VECTORS = """
1.0.0 < 2.0.0
1.0.0-alpha < 1.0.0
1.0.0-alpha < 1.0.0-alpha.1
1.0.0-alpha.1 < 1.0.0-alpha.beta
1.0.0-alpha.beta < 1.0.0-beta
1.0.0-beta.2 < 1.0.0-beta.11
1.0.0-rc.1 < 1.0.0
1.0.0+build.1 = 1.0.0
v1.2.3 = 1.2.3
v2.0.0+incompatible = 2.0.0
v2.0.0+incompatible < 2.0.1
v0.0.0-20191109021931-daa7c04131f5 < v0.0.1
v0.0.0-20191109021931-daa7c04131f5 < v0.0.0-20200101000000-aaaaaaaaaaaa
go1.21.3 < go1.21.10
go1.21 = 1.21.0
1.2 = 1.2.0
10.0.0 > 9.0.0
"""

RUBYGEMS_VECTORS = """
1.0 = 1
1.0.0 = 1
1.0.a < 1.0
1.0.rc1 < 1.0
1.0.a < 1.0.b
1.0.1 > 1.0
2.0.0.rc1 < 2.0.0
1.9 < 1.10
1.0-beta < 1.0
"""


def test_pep440_vectors():
    _assert_vectors("pep440", PEP440_VECTORS)


def test_semver_vectors():
    _assert_vectors("semver", SEMVER_VECTORS)


def test_semver_rejects_garbage():
    with pytest.raises(InvalidVersion):
        compare("semver", "not-a-version", "1.0.0")


def test_rubygems_vectors():
    _assert_vectors("rubygems", RUBYGEMS_VECTORS)


# --- NuGet, Packagist, Hex, Pub: the rules their corpora (SemVer-shaped strings) do not reach ---

NUGET_VECTORS = """
1.2.3.4 > 1.2.3
1.0.0.1 < 1.0.1
1.0.0.0 = 1.0.0
1.0 = 1.0.0
1 = 1.0.0.0
01.02.03 = 1.2.3
1.0.0-BETA = 1.0.0-beta
1.0.0-Beta.2 < 1.0.0-beta.10
1.0.0-alpha < 1.0.0-Alpha.1
1.0.0-rc.1 < 1.0.0
1.0.0+build.5 = 1.0.0+other
1.0.0-beta+meta = 1.0.0-beta
1.0.0.1-beta > 1.0.0.1-alpha
1.0.0--1 < 1.0.0-0
1.0.0-2147483648 > 1.0.0-9
"""

PACKAGIST_VECTORS = """
v1.2.3 = 1.2.3
1.2 = 1.2.0.0
1.0.0-dev < 1.0.0-alpha1
1.0.0-alpha1 = 1.0.0-a1
1.0.0-a1 < 1.0.0-beta1
1.0.0-beta1 = 1.0.0-b1
1.0.0-beta2-dev < 1.0.0-beta2
1.0.0-b1 < 1.0.0-RC1
1.0.0-RC1 = 1.0.0rc1
1.0.0-RC1 < 1.0.0
1.0.0-stable = 1.0.0
1.0.0 < 1.0.0-patch1
1.0.0-patch1 = 1.0.0-pl1
1.0.0p2 > 1.0.0-patch1
1.0.0-alpha10 > 1.0.0-alpha9
1.0.0.1 > 1.0.0
1.0.0+build.5 = 1.0.0
1.0.0@beta = 1.0.0
1.x-dev > 1.99.0
2.0.*-dev < 2.1.0
20230101 > 99999.0.0
"""

HEX_VECTORS = """
1.0.0-alpha < 1.0.0-alpha.1
1.0.0-alpha.1 < 1.0.0-alpha.beta
1.0.0-beta.2 < 1.0.0-beta.11
1.0.0-rc.1 < 1.0.0
1.0.0+build.1 = 1.0.0+build.2
1.0.0-Alpha < 1.0.0-alpha
1.0.0-alpha-1 > 1.0.0-alpha
"""

PUB_VECTORS = """
1.0.0-beta < 1.0.0
1.0.0 < 1.0.0+1
1.0.0+1 < 1.0.0+2
1.0.0+2 < 1.0.0+10
1.0.0+10 < 1.0.0+a
1.0.0+1 < 1.0.0+1.1
1.0.0-beta+1 > 1.0.0-beta
1.0.0-beta+1 < 1.0.0
01.02.03 = 1.2.3
1.0.0-01 = 1.0.0-1
1.0.0+001 = 1.0.0+1
"""


@pytest.mark.parametrize("scheme,vectors", [("nuget", NUGET_VECTORS), ("packagist", PACKAGIST_VECTORS),
                                            ("hex", HEX_VECTORS), ("pub", PUB_VECTORS)])
def test_new_scheme_vectors(scheme, vectors):
    _assert_vectors(scheme, vectors)


@pytest.mark.parametrize("scheme,text", [
    ("nuget", "v1.0.0"), ("nuget", "1.2.3.4.5"), ("nuget", "1.0.0-01"), ("nuget", "1.0-"), ("nuget", "1.0+"),
    ("nuget", "2147483648.0"), ("nuget", "1..0"), ("nuget", "1.0.0-be_ta"),
    ("packagist", "dev-main"), ("packagist", "master"), ("packagist", "1.0 as 2.0"), ("packagist", "1.0.0.0.0"),
    ("packagist", "1.0-foo"), ("packagist", "1.0.0-beta.x"),
    ("hex", "1.0"), ("hex", "v1.0.0"), ("hex", "01.0.0"), ("hex", "1.0.0-01"), ("hex", "1.0.0-"), ("hex", "1.0.0+"),
    ("hex", "1.0.0.0"),
    ("pub", "1.0"), ("pub", "v1.0.0"), ("pub", "1.0.0-"), ("pub", "1.0.0+a+b"), ("pub", "9223372036854775808.0.0"),
])
def test_new_schemes_refuse_what_their_parsers_refuse(scheme, text):
    with pytest.raises(InvalidVersion):
        compare(scheme, text, "1.0.0")


def test_new_ecosystems_use_their_schemes():
    from dockopt.vuln.ecosystems import scheme_for
    from dockopt.vuln.ranges import walk

    assert [scheme_for(e) for e in ("NuGet", "Packagist", "Hex", "Pub")] == ["nuget", "packagist", "hex", "pub"]
    # A Composer advisory fixed in 2.0.0-RC1: the beta is affected, the RC and v2.0.0 are not.
    events = [("introduced", "0"), ("fixed", "2.0.0-RC1")]
    assert walk("2.0.0-beta3", "ECOSYSTEM", events, scheme_for("Packagist")) is not None
    assert walk("v2.0.0", "ECOSYSTEM", events, scheme_for("Packagist")) is None
    # NuGet's fourth part: 4.3.0.1 is past a fix in 4.3.0.1, 4.3.0 is not.
    events = [("introduced", "0"), ("fixed", "4.3.0.1")]
    assert walk("4.3.0", "ECOSYSTEM", events, scheme_for("NuGet")) is not None
    assert walk("4.3.0.1", "ECOSYSTEM", events, scheme_for("NuGet")) is None
