"""Size rules about the base image and toolchains (DO109, DO110)."""

from __future__ import annotations

import re

from dockopt.dockerfile.model import Instruction
from dockopt.dockerfile.rules.base import Hit, LintContext, rule
from dockopt.dockerfile.rules.packages import installed_packages, removed_packages, virtual_name
from dockopt.findings import Category, Fix, Severity, TextEdit

SIZE = Category.SIZE


# official image -> how to name the slim variant of a tag
_SLIM = {
    "python": "slim", "node": "slim", "ruby": "slim", "perl": "slim", "debian": "slim",
    "openjdk": "slim", "golang": "alpine", "eclipse-temurin": "jre", "rust": "slim", "elixir": "slim",
    "erlang": "slim", "haskell": "slim", "swift": "slim",
}
_NOT_BIG = re.compile(r"(^|[-_.])(slim|alpine|jre|distroless|minimal|busybox|nanoserver|windowsservercore|musl|static)([-_.]|$)")


def slim_tag(repo: str, tag: str) -> str | None:
    """The slim variant of an official image tag, or None when there is none or it is slim."""
    variant = _SLIM.get(repo)
    if variant is None or _NOT_BIG.search(tag) or tag == "latest":
        return None
    if repo == "eclipse-temurin":
        return tag.replace("-jdk", "-jre") if "-jdk" in tag else (f"{tag}-jre" if re.fullmatch(r"[\d.]+", tag) else None)
    if repo == "debian":
        return f"{tag}-slim" if re.fullmatch(r"[a-z]+|[\d.]+", tag) else None
    if repo == "golang":
        return f"{tag}-alpine" if re.fullmatch(r"[\d.]+", tag) else None
    m = re.fullmatch(r"([\d.]+)(?:-(bookworm|bullseye|buster|trixie))?", tag)
    if not m:
        return None
    if m.group(2):
        return f"{m.group(1)}-{m.group(2)}-slim" if repo == "node" else f"{m.group(1)}-slim-{m.group(2)}"
    return f"{m.group(1)}-{variant}"


def split_image(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """(registry, repository path, tag, digest) of an image reference."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    registry = None
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, ref = first, rest
    tag = None
    last_slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > last_slash:
        ref, tag = ref[:colon], ref[colon + 1:]
    return registry, ref, tag, digest


@rule("DO109", "A slim variant of the base image exists", SIZE, Severity.LOW, fixable=True, opt_in_fix=True,
      why="""Full official images (python, node, ruby, debian, golang, openjdk, eclipse-temurin, rust…)
carry compilers, headers and tools for building; the slim variant of the same version is often
3-10x smaller. (Images without a slim variant, such as ubuntu, are not flagged.)""",
      how="""Use the `-slim` (or JRE, or alpine) variant in the final stage, adding only the packages you
need. The fix is opt-in (`--fix-unsafe`) because a missing tool can break the build.""",
      bad="FROM python:3.12", good="FROM python:3.12-slim")
def slim_base(ctx: LintContext):
    stage = ctx.df.final_stage
    if stage is None:
        return
    image = ctx.base_image(stage)
    registry, repo, tag, digest = split_image(image)
    if registry not in (None, "docker.io", "index.docker.io") or digest or tag is None:
        return
    repo = repo.removeprefix("library/")
    slim = slim_tag(repo, tag)
    if slim is None or "$" in stage.base:
        return
    ins = stage.from_instruction
    fix = None
    word = next((w for w in ins.words() if w.raw == stage.base), None)
    if word is not None:
        raw_tag_at = word.raw.rfind(":" + tag)
        if raw_tag_at >= 0:
            start = ins.to_source(word.start + raw_tag_at + 1)
            fix = Fix(f"use {repo}:{slim}", (TextEdit(start, start + len(tag), slim),))
    yield Hit(ins, f"{repo}:{tag} has a smaller variant: {repo}:{slim}", fix=fix,
              details={"suggested": f"{repo}:{slim}"})


TOOLCHAIN = frozenset({
    "gcc", "g++", "clang", "build-essential", "make", "cmake", "automake", "autoconf", "libtool",
    "cargo", "rustc", "golang", "golang-go", "go", "gcc-c++", "musl-dev", "build-base", "alpine-sdk",
    "ninja-build", "gfortran", "openjdk-17-jdk", "default-jdk", "maven", "gradle",
})


def toolchain_installs(ctx: LintContext, stage) -> list[tuple[Instruction, str]]:
    """(RUN, package) for compilers/build tools installed in a stage and not removed there."""
    out = []
    for info in ctx.runs(stage):
        removed = removed_packages(info)
        for cmd, pkg in installed_packages(info):
            if pkg in TOOLCHAIN and pkg not in removed and virtual_name(cmd) not in removed:
                out.append((info.instruction, pkg))
    return out


@rule("DO110", "Build toolchain installed in a single-stage build", SIZE, Severity.MEDIUM,
      why="""Compilers and build tools are needed to build, not to run. In a single-stage build they
ship with the image: hundreds of megabytes and a larger attack surface.""",
      how="Build in a first stage and `COPY --from=build` only the result into a small final stage.",
      bad="FROM debian:bookworm\nRUN apt-get install -y gcc make && make -C /src",
      good="FROM debian:bookworm AS build\nRUN apt-get install -y gcc make && make -C /src\n"
           "FROM debian:bookworm-slim\nCOPY --from=build /src/app /usr/local/bin/app")
def single_stage_toolchain(ctx: LintContext):
    if len(ctx.stages) != 1:
        return
    stage = ctx.stages[0]
    registry, repo, _, _ = split_image(ctx.base_image(stage))
    repo = repo.removeprefix("library/")
    if registry in (None, "docker.io", "index.docker.io") and repo in TOOLCHAIN_IMAGES:
        yield Hit(stage.from_instruction, f"{repo} is a build toolchain image and this is the only stage; "
                  "build in it and copy the result into a small final stage", details={"image": repo})
        return
    found = toolchain_installs(ctx, stage)
    if found:
        ins = found[0][0]
        names = sorted({pkg for _, pkg in found})
        yield Hit(ins, f"build toolchain ({', '.join(names)}) installed in a single-stage build; "
                  "use a multi-stage build", details={"packages": names})


# Official images that are compilers and build tools (their `-slim` tags are still toolchains).
TOOLCHAIN_IMAGES = frozenset({"golang", "rust", "gcc", "maven", "gradle", "swift", "haskell", "buildpack-deps",
                              "mono", "clojure", "sbt"})
