"""Security rules (DO2xx)."""

from __future__ import annotations

import re

from dockopt.dockerfile.lexer import expand
from dockopt.dockerfile.model import Stage
from dockopt.dockerfile.rules.base import Hit, LintContext, rule
from dockopt.dockerfile.rules.packages import installed_packages, removed_packages, virtual_name
from dockopt.dockerfile.rules.size_images import TOOLCHAIN, split_image
from dockopt.findings import Category, Severity
from dockopt.secretpatterns import find_tokens, redact

SEC = Category.SECURITY


def _effective_user(ctx: LintContext, stage: Stage, depth: int = 0) -> str | None:
    """The last USER of a stage, following `FROM <stage>` chains (None: never set)."""
    for ins in reversed(stage.instructions):
        if ins.keyword == "USER" and ins.values:
            return expand(ins.values[0], ctx.stage_env(stage, ins), skip_unset=True)
    parent = ctx.parent_stage(stage)
    if parent is not None and depth < 20:
        return _effective_user(ctx, parent, depth + 1)
    return None


@rule("DO201", "The final stage runs as root", SEC, Severity.MEDIUM,
      why="""Without a USER instruction the container's process runs as root (uid 0). A compromise of
the application is then root inside the container, one kernel bug away from the host.""",
      how="Create an unprivileged user and switch to it at the end of the final stage.",
      bad="FROM debian:bookworm-slim\nCMD [\"/app\"]",
      good="FROM debian:bookworm-slim\nRUN useradd --system --uid 10001 app\nUSER 10001\nCMD [\"/app\"]")
def runs_as_root(ctx: LintContext):
    stage = ctx.df.final_stage
    if stage is None or "nonroot" in stage.base or stage.base.lower() == "scratch" and not stage.instructions:
        return
    user = _effective_user(ctx, stage)
    if user is None:
        yield Hit(stage.from_instruction, "no USER in the final stage: the container runs as root")
    elif user.split(":", 1)[0] in ("root", "0"):
        last = next((i for i in reversed(stage.instructions) if i.keyword == "USER"), stage.from_instruction)
        yield Hit(last, f"the final stage switches to USER {user}: the container runs as root")


# Whole name components only: TOKEN or NPM_TOKEN, not TOKENIZERS_PARALLELISM.
_SECRET_NAME = re.compile(r"(?:^|[_.-])(passw(?:or)?d|passphrase|secret|token|credentials?|api[_-]?key|apikey|"
                          r"access[_-]?key|private[_-]?key|auth[_-]?key|client[_-]?secret)(?:$|[_.-])", re.I)
_NOT_SECRET_NAME = re.compile(r"(_FILE|_PATH|_DIR|_URL|_URI|_HOST|_PORT|_USER|_USERNAME|_NAME|_ENDPOINT|_LENGTH|"
                              r"_ENABLED|_ID|_TTL|_TIMEOUT|_EXPIRY|_EXPIRES|_TYPE|_HEADER|_ALGORITHM|_VERSION)$", re.I)
# A private key pasted into ENV holds its newlines as `\n`: the header is the evidence here
# (the image check validates a whole PEM block in files).
_PRIVATE_KEY_HEADER = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _credential(value: str) -> str | None:
    """The token (as the image checks find it) or private key header in a value, else None."""
    tokens = find_tokens(value)
    if tokens:
        return tokens[0].value
    header = _PRIVATE_KEY_HEADER.search(value)
    return header.group(0) if header else None


@rule("DO202", "Secret in ENV or ARG", SEC, Severity.HIGH,
      why="""ENV values are stored in the image config and ARG values in its history: anyone who can
pull the image can read them, and they stay in every layer built from it.""",
      how="""Pass secrets at build time with BuildKit secret mounts (`RUN --mount=type=secret,id=token …`)
and at run time through the orchestrator's secret store, never through ENV or ARG.""",
      bad="ENV API_TOKEN=3f9a7c1e", good="RUN --mount=type=secret,id=api_token ./configure")
def secrets(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        if eff.error or eff.keyword not in ("ENV", "ARG"):
            continue
        pairs: list[tuple[str, str | None]] = []
        if eff.keyword == "ENV":
            pairs = [(eff.values[k], eff.values[k + 1]) for k in range(0, len(eff.values) - 1, 2)]
        else:
            for word in eff.values:
                name, eq, value = word.partition("=")
                pairs.append((name, value if eq else None))
        for name, value in pairs:
            plain = expand(value, {}, skip_unset=True) if value else value
            credential = _credential(plain) if plain else None
            if credential is not None:
                yield Hit(ins, f"{eff.keyword} {name} holds what looks like a credential ({redact(credential)})",
                          details={"name": name})
            elif _SECRET_NAME.search(name) and not _NOT_SECRET_NAME.search(name):
                if eff.keyword == "ENV" and (not plain or plain.startswith("$")):
                    continue
                yield Hit(ins, f"{eff.keyword} {name} looks like a secret; it is readable in the image "
                          f"{'config' if eff.keyword == 'ENV' else 'history'}", details={"name": name})


_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "python", "python3", "perl", "ruby", "node"})


@rule("DO203", "Remote script piped into a shell", SEC, Severity.HIGH,
      why="""`curl … | sh` runs whatever the server (or anyone in between) sends, unverified, with the
build's privileges, and the build is not reproducible.""",
      how="Download to a file, verify a checksum or signature, then run it.",
      bad="RUN curl -fsSL https://example.com/install.sh | sh",
      good="RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n"
           "    && echo \"<sha256>  /tmp/install.sh\" | sha256sum -c - && sh /tmp/install.sh")
def curl_pipe_shell(ctx: LintContext):
    for info in ctx.all_runs():
        for pipeline in (p for s in info.scripts for p in s.pipelines()):
            names = [c.name for c in pipeline]
            fetch = next((k for k, n in enumerate(names) if n in ("curl", "wget")), None)
            if fetch is not None and any(n in _SHELLS for n in names[fetch + 1:]):
                yield Hit(info.instruction, f"`{names[fetch]} … | {next(n for n in names[fetch + 1:] if n in _SHELLS)}` "
                          "runs an unverified remote script")
                break
        else:
            for cmd in info.commands:
                if cmd.name in _SHELLS and any(("$(curl" in a or "$(wget" in a or "`curl" in a) for a in cmd.args):
                    yield Hit(info.instruction, f"`{cmd.name}` runs an unverified remote script")
                    break


@rule("DO204", "sudo in RUN", SEC, Severity.MEDIUM,
      why="""RUN already executes as the current USER; sudo adds a setuid binary to the image and has
unpredictable TTY and signal behaviour in builds.""",
      how="Run the privileged steps before switching USER, or switch with `USER root` … `USER app`.",
      bad="USER app\nRUN sudo apt-get install -y curl", good="USER root\nRUN apt-get install -y curl\nUSER app")
def sudo(ctx: LintContext):
    for info in ctx.all_runs():
        if any(c.uses_sudo or c.name == "sudo" for c in info.commands):
            yield Hit(info.instruction, "sudo used in RUN")


def _stage_names(ctx: LintContext) -> set[str]:
    return {s.name for s in ctx.stages if s.name}


@rule("DO205", "Base image not pinned", SEC, Severity.MEDIUM,
      why="""`FROM image` or `FROM image:latest` means whatever was pushed last: builds are not
reproducible and a compromised or broken tag flows straight in.""",
      how="Use an explicit version tag, and for production a digest (`image:1.2@sha256:…`).",
      bad="FROM python", good="FROM python:3.12-slim@sha256:<digest>")
def unpinned_base(ctx: LintContext):
    names = _stage_names(ctx)
    for stage in ctx.stages:
        image = ctx.base_image(stage)
        if image.lower() == "scratch" or image.lower() in names or "$" in image or not image:
            continue
        _, repo, tag, digest = split_image(image)
        if digest:
            continue
        if tag is None or tag == "latest":
            yield Hit(stage.from_instruction, f"base image {image} is not pinned to a version"
                      f"{' (latest)' if tag else ''}", details={"image": image})


@rule("DO206", "Base image from an untrusted registry", SEC, Severity.HIGH,
      why="""The base image is code you run. A registry outside your trusted list may serve anything.""",
      how="Mirror the image into a trusted registry, or add the registry to `lint: trusted-registries`.",
      bad="FROM registry.example.net/tools/python:3.12", good="FROM python:3.12")
def untrusted_registry(ctx: LintContext):
    names = _stage_names(ctx)
    trusted = {r.lower() for r in ctx.options.trusted_registries}
    for stage in ctx.stages:
        image = ctx.base_image(stage)
        if image.lower() in names or "$" in image or image.lower() == "scratch":
            continue
        registry, _, _, _ = split_image(image)
        registry = (registry or "docker.io").lower()
        if registry not in trusted:
            yield Hit(stage.from_instruction, f"base image from untrusted registry {registry}",
                      details={"registry": registry})


_RISKY_TOOLS = frozenset({
    "curl", "wget", "netcat", "netcat-openbsd", "netcat-traditional", "ncat", "nmap", "socat", "telnet",
    "openssh-client", "openssh-server", "ssh", "git", "python3-pip", "py3-pip", "npm", "sudo", "gdb", "strace",
})


@rule("DO207", "Network, build or package tools left in the final stage", SEC, Severity.LOW,
      why="""curl, wget, netcat, git, compilers and package managers in a running container are what an
attacker uses next: to download tools, build exploits and move laterally.""",
      how="""Install them in a build stage and copy only results, or purge them in the same RUN
(`apt-get purge -y --auto-remove curl`).""",
      bad="FROM debian:bookworm-slim\nRUN apt-get install -y curl && curl -fsSLo /app https://…",
      good="FROM debian:bookworm-slim AS fetch\nRUN apt-get install -y curl && curl -fsSLo /app https://…\n"
           "FROM debian:bookworm-slim\nCOPY --from=fetch /app /app")
def tools_in_final(ctx: LintContext):
    stage = ctx.df.final_stage
    if stage is None:
        return
    multi = len(ctx.stages) > 1
    reported: set[str] = set()
    for info in ctx.runs(stage):
        removed = removed_packages(info)
        risky: list[str] = []
        for cmd, pkg in installed_packages(info):
            if pkg in removed or virtual_name(cmd) in removed or pkg in reported:
                continue
            if pkg in _RISKY_TOOLS or (multi and pkg in TOOLCHAIN):
                risky.append(pkg)
        if risky:
            reported.update(risky)
            verb = "stays" if len(risky) == 1 else "stay"
            yield Hit(info.instruction, f"{', '.join(sorted(risky))} {verb} in the final image",
                      details={"packages": sorted(risky)})


_UPGRADERS = ("apt-get", "apt", "apk", "dnf", "yum", "microdnf")


@rule("DO208", "Distribution upgrade inside the build", SEC, Severity.LOW,
      why="""`apt-get upgrade` (or `apk upgrade`, `dnf upgrade`) makes the image depend on the day it
was built, hides which packages changed, and duplicates files from the base layers.""",
      how="Use a newer base image tag (rebuilt by its maintainers) and pin packages you need.",
      bad="RUN apt-get update && apt-get upgrade -y", good="FROM debian:bookworm-20240513-slim")
def upgrade(ctx: LintContext):
    for info in ctx.all_runs():
        for cmd in info.find(*_UPGRADERS):
            sub = cmd.subcommand()
            if (cmd.name in ("apt-get", "apt") and sub in ("upgrade", "dist-upgrade", "full-upgrade")) or \
                    (cmd.name == "apk" and sub == "upgrade") or \
                    (cmd.name in ("dnf", "yum", "microdnf") and (sub in ("upgrade", "distro-sync") or
                                                                 (sub == "update" and len([a for a in cmd.args if not a.startswith("-")]) == 1))):
                yield Hit(info.instruction, f"`{cmd.name} {sub}` upgrades the distribution during the build")
                break


def _world_writable(mode: str) -> bool:
    if re.fullmatch(r"0?[0-7]{3}", mode):
        return int(mode[-1]) & 2 != 0
    if re.fullmatch(r"[0-7]{4}", mode):
        return int(mode[-1]) & 2 != 0 and int(mode[0]) & 1 == 0  # sticky dirs (1777) are fine
    for clause in mode.split(","):
        m = re.fullmatch(r"([ugoa]*)([-+=])([rwxXst]*)", clause)
        if m and m.group(2) in "+=" and "w" in m.group(3) and ("o" in m.group(1) or "a" in m.group(1)):
            return True
    return False


@rule("DO209", "World-writable permissions", SEC, Severity.MEDIUM,
      why="""`chmod 777` lets any user in the container replace programs and data, turning any foothold
into code execution as the application's user.""",
      how="Give ownership to the user that needs it (`chown app`, `COPY --chown=app`) and use 755/644.",
      bad="RUN chmod -R 777 /app", good="RUN chown -R app:app /app && chmod -R 755 /app")
def world_writable(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        for mode in eff.flag_values("chmod"):
            if _world_writable(mode):
                yield Hit(ins, f"--chmod={mode} makes files world-writable")
        if eff.keyword == "RUN" and not eff.error:
            info = ctx.run(eff)
            for cmd in info.find("chmod"):
                operands = [a for a in cmd.args if not a.startswith("-")]
                mode = operands[0] if operands else None
                if mode and _world_writable(mode) and not _removed_later(info, cmd, operands[1:]):
                    yield Hit(ins, f"`chmod {mode}` makes files world-writable")
                    break


def _removed_later(info, cmd, paths: list[str]) -> bool:
    """Every path is deleted by a later `rm` of the same RUN (a scratch directory made writable
    for apt's `_apt` user, as the official nginx image does): the mode never reaches a layer."""
    if not paths:
        return False
    after = info.position(cmd)
    removed = {a for c in info.find("rm") if info.position(c) > after for a in c.args}
    return all(p in removed for p in paths)


_INSECURE_ENV = {"GIT_SSL_NO_VERIFY": None, "NODE_TLS_REJECT_UNAUTHORIZED": "0", "PYTHONHTTPSVERIFY": "0",
                 "PIP_TRUSTED_HOST": None, "CURL_INSECURE": None}


@rule("DO210", "TLS or package signature verification disabled", SEC, Severity.HIGH,
      why="""Disabling certificate checks (`--no-check-certificate`, `curl -k`, `--trusted-host`,
`strict-ssl false`) lets anyone on the network path replace what the build downloads; disabling
package signature checks (`apk --allow-untrusted`, `apt-get --allow-unauthenticated`,
`dnf --nogpgcheck`) installs packages that nobody signed, from any mirror or file.""",
      how="""Fix the trust store instead: install ca-certificates or add your CA (`update-ca-certificates`);
add the repository's signing key (`/etc/apk/keys`, `signed-by=`, `rpm --import`) rather than
skipping the check.""",
      bad="RUN wget --no-check-certificate https://example.com/app.tgz",
      good="RUN apt-get install -y --no-install-recommends ca-certificates && wget https://example.com/app.tgz")
def insecure_tls(ctx: LintContext):
    for ins in ctx.df.instructions:
        eff = ins.effective
        if eff.keyword == "ENV" and not eff.error:
            for k in range(0, len(eff.values) - 1, 2):
                name = eff.values[k]
                if name not in _INSECURE_ENV:
                    continue
                value = expand(eff.values[k + 1], {})
                if (_INSECURE_ENV[name] is None or value == _INSECURE_ENV[name]) and value:
                    yield Hit(ins, f"ENV {name}={value} disables TLS verification")
        if eff.keyword != "RUN" or eff.error:
            continue
        info = ctx.run(eff)
        if _TLS_PROGRAMS.isdisjoint(info.index) and not any(n.startswith("pip") for n in info.index):
            continue
        for cmd in info.commands:
            found = _insecure_command(cmd)
            if found:
                option, what = found
                yield Hit(ins, f"`{cmd.name} {option}` disables {what}")
                break


_TLS_PROGRAMS = frozenset({"wget", "curl", "npm", "yarn", "git", "apt-get", "apt", "apk", "dnf", "yum"})


_TLS = "TLS certificate verification"
_SIGNATURES = "package signature verification"


def _insecure_command(cmd) -> tuple[str, str] | None:
    """(the option, what it disables) when the command turns a verification off."""
    args = cmd.args
    if cmd.name == "wget" and cmd.has_option("--no-check-certificate"):
        return "--no-check-certificate", _TLS
    if cmd.name == "curl" and cmd.has_option("-k", "--insecure"):
        return "--insecure", _TLS
    if cmd.name.startswith("pip") and cmd.has_option("--trusted-host"):
        return "--trusted-host", _TLS
    if cmd.name in ("npm", "yarn") and "strict-ssl" in args and "false" in args:
        return "config set strict-ssl false", _TLS
    if cmd.name == "git" and any(a.lower() in ("http.sslverify=false", "http.sslverify") for a in args) \
            and "false" in " ".join(args).lower():
        return "http.sslVerify=false", _TLS
    if cmd.name in ("apt-get", "apt") and cmd.has_option("--allow-unauthenticated", "--allow-insecure-repositories"):
        return "--allow-unauthenticated", _SIGNATURES
    if cmd.name in ("apk",) and cmd.has_option("--allow-untrusted"):
        return "--allow-untrusted", _SIGNATURES
    if cmd.name in ("dnf", "yum") and "--setopt=sslverify=false" in args:
        return "--setopt=sslverify=false", _TLS
    if cmd.name in ("dnf", "yum") and "--nogpgcheck" in args:
        return "--nogpgcheck", _SIGNATURES
    return None
