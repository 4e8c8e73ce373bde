"""How each runtime that images install outside a package database is recognised.

A rule names the files that can carry a runtime's version (a full match on the basename), how
many leading bytes of them to read, and a finder that turns those bytes into a version or None.
The file names, version-string shapes, package names, purls and CPE vendor:product pairs follow
syft's binary classifiers and its JVM `release` parser (syft 1.x), so SBOMs of both tools name
the same runtime the same way; where this module deviates (Debian-built redis, `libnode`,
`apache2`, one `php` name for every SAPI) the rule says why.

Finders work on bytes only and are bounded: they look for a literal anchor with `bytes.find`
(no regular expression runs over megabytes), try the version pattern at each hit, and give up
after `MAX_HITS` hits, so a file filled with anchors costs a bounded amount of work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from dockopt.catalog.golang import read_buildinfo

MAX_BINARY = 64 << 20
"""Leading bytes of a binary searched (the scan's per-entry bound). Version strings sit in
`.rodata`, after `.text`: 36 MB into Node.js 20's 99 MB binary, 38 MB into Debian's libnode."""
MAX_TEXT = 64 << 10
MAX_HITS = 4096
ELF_MAGIC = b"\x7fELF"

Finder = Callable[[bytes, str], "str | None"]


@dataclass(frozen=True)
class Runtime:
    name: str
    """Package name, as syft names it."""
    purl_namespace: str | None
    cpes: tuple[tuple[str, str], ...]
    """NVD (vendor, product) pairs."""


@dataclass(frozen=True)
class Rule:
    runtime: Runtime
    found_by: str
    files: re.Pattern[str]
    """Full match on the basename."""
    find: Finder
    elf: bool = True
    """Binaries only: the content must be ELF, and the file must sit under a bin/ or lib/ directory."""
    cap: int = MAX_BINARY


def anchored(data: bytes, anchor: bytes, pattern: re.Pattern[bytes], before: bytes | None = None) -> str | None:
    """Group 1 of `pattern` matched at the first hit of `anchor` that it fits; `before`: the bytes
    allowed just before the hit (syft's `(\\x00|\\?)` prefixes)."""
    at, hits = data.find(anchor), 0
    while at >= 0 and hits < MAX_HITS:
        hits += 1
        if before is None or (at > 0 and data[at - 1] in before):
            m = pattern.match(data, at)
            if m:
                return m.group(1).decode("ascii")
        at = data.find(anchor, at + 1)
    return None


def _literal(anchor: bytes, pattern: bytes, before: bytes | None = None) -> Finder:
    compiled = re.compile(pattern)
    return lambda data, _name: anchored(data, anchor, compiled, before)


_PY_NAME = re.compile(r"(?:lib)?python(\d+\.\d+)")


def find_python(data: bytes, name: str) -> str | None:
    """`\\x003.11.2\\x00` in python3.11 / libpython3.11.so: the file name gives the version prefix,
    so a stray `3.9.1` string elsewhere in the binary is never taken."""
    m = _PY_NAME.match(name)
    if not m:
        return None
    prefix = m.group(1).encode()
    pattern = re.compile(rb"\x00(" + re.escape(prefix) + rb"(?:\.\d+(?:(?:a|b|rc)\d+)?|(?:a|b|rc)\d+)\+?)\x00")
    return anchored(data, b"\x00" + prefix, pattern)


_GO_VERSION = re.compile(r"go(\d+\.\d+(?:\.\d+|beta\d+|alpha\d+|rc\d+)?)")
_find_go_string = _literal(b"go1.", rb"go(1\.\d+(?:\.\d+|beta\d+|alpha\d+|rc\d+)?)\x00")


def find_go(data: bytes, name: str) -> str | None:
    """The toolchain's `go` binary: the version its build info records, else the `go1.x.y\\x00` string."""
    try:
        info = read_buildinfo(data)
    except (IndexError, ValueError):  # truncated or malformed build info: fall back to the string
        info = None
    if info:
        m = _GO_VERSION.fullmatch(info[0])
        if m:
            return m.group(1)
    return _find_go_string(data, name)


def find_go_version_file(data: bytes, _name: str) -> str | None:
    """GOROOT/VERSION: `go1.19.8` (Go 1.21+ adds a `time …` line after it)."""
    first = data.split(b"\n", 1)[0].strip().decode("ascii", "replace")
    m = _GO_VERSION.fullmatch(first)
    return m.group(1) if m else None


# The patch number is matched lazily: the host name is a word (buildkitsandbox) or a 12-digit hex
# container id that may begin with a digit (`4.0.11` + `841ce7054bd9-…`).
_REDIS_BUILD_ID = re.compile(rb"(?<![\d.])(\d{1,4}\.\d{1,4}\.)(\d{1,4}?)([A-Za-z][\w.]{0,63}-|[0-9a-f]{12}-)?(\d{9,})")
_REDIS_OLD = re.compile(rb"Redis version (\d+\.\d+\.\d+)")
MAX_REDIS = 32 << 20
"""redis-server is a few MB; the build-id pattern has no literal anchor, so the scan is shorter."""


def find_redis(data: bytes, _name: str) -> str | None:
    """redis-server keeps REDIS_VERSION in front of its build id: `7.0.14buildkitsandbox-1702957741…`
    in the official images (version, host name, dash, time; `4.0.11841ce7054bd9-1542359302…` in older
    ones, the host a container id). Debian builds with an empty host
    name, leaving `7.0.151790282056000000000`, where digits alone cannot tell where the version
    ends: there the candidate that also stands alone as `\x007.0.15\x00` (redis_version) counts.
    Redis 2.x says `Redis version 2.8.23`."""
    for hits, m in enumerate(_REDIS_BUILD_ID.finditer(data)):
        if hits >= MAX_HITS:
            break
        head, patch, host, stamp = m.groups()
        if host:
            return (head + patch).decode()
        run = patch + stamp
        for n in range(1, 5):
            if data.find(b"\x00" + head + run[:n] + b"\x00") >= 0:
                return (head + run[:n]).decode()
    return anchored(data, b"Redis version ", _REDIS_OLD)


def jvm_release(data: bytes) -> dict[str, str]:
    """KEY="value" lines of a JDK/JRE `release` file."""
    out: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            out[key.strip()] = value.strip().strip('"')
    return out


def jvm_version(fields: dict[str, str]) -> str | None:
    """syft's choice: JAVA_RUNTIME_VERSION, else FULL_VERSION when its major matches JAVA_VERSION's,
    else JAVA_VERSION."""
    if fields.get("JAVA_RUNTIME_VERSION"):
        return fields["JAVA_RUNTIME_VERSION"]
    full, java = fields.get("FULL_VERSION", ""), fields.get("JAVA_VERSION", "")
    if full and full.split(".")[0] == java.split(".")[0]:
        return full
    return java or None


def find_jvm(data: bytes, _name: str) -> str | None:
    fields = jvm_release(data)
    if "JAVA_VERSION" not in fields and "JAVA_RUNTIME_VERSION" not in fields:
        return None
    return jvm_version(fields)


PYTHON = Runtime("python", None, (("python_software_foundation", "python"), ("python", "python")))
NODE = Runtime("node", None, (("nodejs", "node.js"),))
GO = Runtime("go", None, (("golang", "go"),))
OPENJDK = Runtime("openjdk", "oracle", (("oracle", "openjdk"),))
RUBY = Runtime("ruby", None, (("ruby-lang", "ruby"),))
PHP = Runtime("php", None, (("php", "php"),))
NGINX = Runtime("nginx", None, (("f5", "nginx"), ("nginx", "nginx")))
HTTPD = Runtime("httpd", None, (("apache", "http_server"),))
REDIS = Runtime("redis", None, (("redislabs", "redis"), ("redis", "redis")))
POSTGRESQL = Runtime("postgresql", None, (("postgresql", "postgresql"),))
BUSYBOX = Runtime("busybox", None, (("busybox", "busybox"),))

_PHP_FINDER = _literal(b"X-Powered-By: PHP/", rb"X-Powered-By: PHP/(\d+\.\d+\.\d+(?:(?:alpha|beta|RC)\d+)?)")
_RUBY_FINDER = _literal(b"ruby ", rb"ruby (\d+\.\d+\.\d+(?:(?:p|preview|rc|dev)\d*)?) ")

RULES: tuple[Rule, ...] = (
    Rule(PYTHON, "python-binary", re.compile(r"python\d+\.\d+"), find_python),
    Rule(PYTHON, "python-binary-lib", re.compile(r"libpython\d+\.\d+[a-z]?\.so(?:\.[\d.]+)?"), find_python),
    # Debian's nodejs is a small launcher linked to libnode.so.N, which holds the version.
    Rule(NODE, "nodejs-binary", re.compile(r"node|libnode\.so(?:\.\d+)*"),
         _literal(b"node.js/v", rb"node\.js/v(\d+\.\d+\.\d+)")),
    Rule(GO, "go-binary", re.compile(r"go"), find_go),
    Rule(GO, "go-version-file", re.compile(r"VERSION"), find_go_version_file, elf=False, cap=4096),
    Rule(OPENJDK, "java-jvm-release", re.compile(r"release"), find_jvm, elf=False, cap=MAX_TEXT),
    Rule(RUBY, "ruby-binary", re.compile(r"ruby(?:\d+\.\d+)?|libruby(?:-\d+\.\d+)?\.so(?:\.[\d.]+)?"), _RUBY_FINDER),
    # One name for every SAPI (syft says php-cli / php-fpm / libphp): it is one runtime to match.
    Rule(PHP, "php-binary", re.compile(r"php(?:\d+(?:\.\d+)?)?|php-fpm(?:\d+(?:\.\d+)?)?|libphp\d*\.so"),
         _PHP_FINDER),
    Rule(NGINX, "nginx-binary", re.compile(r"nginx"),
         _literal(b"nginx version: ", rb"nginx version: [^/\x00]{1,64}/(\d+\.\d+\.\d+(?:\+\d+)?(?:-\d+)?)", b"\x00?")),
    # httpd built from source is `httpd`; Debian's build of the same server is `apache2`.
    Rule(HTTPD, "httpd-binary", re.compile(r"httpd|apache2"), _literal(b"Apache/", rb"Apache/(\d+\.\d+\.\d+)")),
    Rule(REDIS, "redis-binary", re.compile(r"redis-server"), find_redis, cap=MAX_REDIS),
    Rule(POSTGRESQL, "postgresql-binary", re.compile(r"postgres"),
         _literal(b"PostgreSQL ", rb"PostgreSQL (\d+(?:\.\d+)?(?:\.\d+)?(?:(?:alpha|beta|rc)\d)?)", b"\x00?")),
    Rule(BUSYBOX, "busybox-binary", re.compile(r"busybox"), _literal(b"BusyBox", rb"BusyBox\s+v(\d+\.\d+\.\d+)")),
)

BASENAMES = frozenset({"node", "go", "VERSION", "release", "ruby", "php", "nginx", "httpd", "apache2",
                       "redis-server", "postgres", "busybox"})
NAME_PREFIXES = ("python", "libpython", "libnode.so", "ruby", "libruby", "php", "libphp")


def rules_for(basename: str) -> list[Rule]:
    return [r for r in RULES if r.files.fullmatch(basename)]


def cpe23(vendor: str, product: str, version: str, update: str = "*") -> str:
    """A CPE 2.3 formatted string; characters other than [A-Za-z0-9._-] are quoted with `\\`."""
    def quote(text: str) -> str:
        return re.sub(r"([^A-Za-z0-9._\-*])", r"\\\1", text)

    return f"cpe:2.3:a:{quote(vendor)}:{quote(product)}:{quote(version)}:{quote(update)}:*:*:*:*:*:*"


def jvm_cpe_version(version: str) -> tuple[str, str]:
    """(version, update) of a CPE for a JVM version: `1.8.0_352-b08` -> (1.8.0, update352),
    `17.0.2+8` -> (17.0.2, *)."""
    if "_" in version:
        short, _, rest = version.partition("_")
        update = rest.split("-", 1)[0].lstrip("0") or "0"
        return short, f"update{update}"
    return version.split("+", 1)[0], "*"
