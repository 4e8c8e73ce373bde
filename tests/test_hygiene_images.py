"""`dockopt analyze` image checks on images built here with planted problems, and negative controls.

The planted image (classic builder, so build ARGs land in history) holds: an OpenSSH key copied in
one layer and deleted in the next, a PKCS#8 key that stays, a GitHub token in a build ARG, a
password in ENV, a setuid copy of a shell, an app copied with `.git` (credentials in the remote
URL), `.env`, tests/ and AWS keys, a planted gcc, make installed by apt with the lists left, a pip
cache, and a .npmrc created and deleted inside one RUN (must not be reported).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import run_dockopt

GH_TOKEN = "ghp_" + "Zt4" * 12
AWS_ID = "AKIA" + "Q7RZ" * 4
AWS_SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCY" + "q9Z2" * 3

pytestmark = pytest.mark.engine

# An ELF header with e_type 4 (ET_CORE): what the kernel writes for a core dump.
ELF_CORE = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x04\x00\x3e\x00" + b"\0" * 4000
DB_PASSWORD = "hunter2-Sup3rSecret"
GIT_PASSWORD = "Pa55w0rdXyzzy"
ENV_FILE_PASSWORD = "correct-horse-battery"
OLD_TOKEN = "s3cr3t-old-value-42"
NPM_TOKEN = "npm_Q1w2E3r4T5y6U7i8O9p0"

PLANTED = f"""FROM dockopt-test/debian:bookworm
ARG GH_TOKEN={GH_TOKEN}
ENV DB_PASSWORD={DB_PASSWORD} APP_MODE=production OLD_API_TOKEN={OLD_TOKEN}
ENV OLD_API_TOKEN=
COPY id_ed25519 /root/.ssh/id_ed25519
COPY server.key /etc/app/server.key
RUN rm /root/.ssh/id_ed25519
RUN test -n "$GH_TOKEN" && touch /built-with-token
RUN cp /bin/dash /usr/local/bin/rootsh && chmod 4755 /usr/local/bin/rootsh \
 && mkdir -p /srv/shared /srv/sticky && chmod 0777 /srv/shared && chmod 1777 /srv/sticky && chmod 1777 /tmp
EXPOSE 22 8080
COPY app/ /app/
RUN printf '#!/bin/sh\\nexit 0\\n' > /usr/bin/gcc && chmod 755 /usr/bin/gcc
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make >/dev/null
RUN mkdir -p /root/.cache/pip/wheels/ab && head -c 300000 /dev/urandom > /root/.cache/pip/wheels/ab/pkg-1.0-py3-none-any.whl
RUN echo "//registry.npmjs.org/:_authToken={NPM_TOKEN}" > /root/.npmrc && cat /root/.npmrc >/dev/null && rm /root/.npmrc
"""

CAREFUL = """FROM dockopt-test/debian:bookworm AS build
RUN mkdir -p /out && echo 'print("hello")' > /out/app.py && apt-get update -qq && rm -rf /var/lib/apt/lists/*
FROM dockopt-test/debian:bookworm
COPY --from=build /out/app.py /app/app.py
USER 65534:65534
HEALTHCHECK CMD ["/bin/true"]
"""


@pytest.fixture(scope="session")
def keypair(tmp_path_factory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("planted-keys")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "planted", "-f", str(d / "k")], check=True)
    pkcs8 = subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
                           check=True, capture_output=True, text=True).stdout
    return {"openssh": (d / "k").read_text(), "public": (d / "k.pub").read_text(), "pkcs8": pkcs8}


@pytest.fixture(scope="session")
def planted(build_image, keypair) -> str:
    files = {
        "id_ed25519": keypair["openssh"],
        "server.key": keypair["pkcs8"],
        "app/main.py": "print('app')\n",
        "app/settings.py": 'import os\nSECRET_KEY = os.environ["SECRET_KEY"]\nPASSWORD_HASHERS = []\n',
        "app/README.pem": "-----BEGIN RSA PRIVATE KEY-----\nput your key here\n-----END RSA PRIVATE KEY-----\n",
        "app/id_ed25519.pub": keypair["public"],
        "app/docs.md": "Example: AKIAIOSFODNN7EXAMPLE\n",
        "app/.env": f"DEBUG=1\nDB_PASSWORD={ENV_FILE_PASSWORD}\n",
        "app/deploy/aws.ini": f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\n",
        "app/.git/HEAD": "ref: refs/heads/main\n",
        "app/.git/config": f'[remote "origin"]\n\turl = https://bob:{GIT_PASSWORD}@git.example.com/app.git\n',
        "app/.git/objects/ab/cdef": b"x" * 5000,
        "app/tests/test_main.py": "def test_x():\n    assert True\n",
        "app/__pycache__/main.cpython-311.pyc": b"\xa7\r\r\n" + b"\0" * 200,
        "app/__pycache__/orphan.cpython-311.pyc": b"\xa7\r\r\n" + b"\0" * 100,  # no source: deliberate
        "app/crash/core": ELF_CORE,
        "app/notes/core": "core values of the team\n",  # named like a dump, is not one
    }
    return build_image(PLANTED, files=files, name="hygiene-planted")


@pytest.fixture(scope="session")
def careful(build_image) -> str:
    return build_image(CAREFUL, name="hygiene-careful")


def analyze(dockopt, tag: str, *extra: str) -> tuple[dict, subprocess.CompletedProcess]:
    proc = dockopt("analyze", "-q", "--format", "json", f"docker:{tag}", *extra)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout), proc


@pytest.fixture(scope="session")
def planted_report(planted) -> tuple[dict, str]:
    proc = run_dockopt("analyze", "-q", "--format", "json", f"docker:{planted}")
    assert proc.returncode == 0, proc.stderr
    table = run_dockopt("analyze", "-q", f"docker:{planted}", env={"COLUMNS": "400"})
    assert table.returncode == 0, table.stderr
    return json.loads(proc.stdout), table.stdout


def layer_of(doc: dict, needle: str) -> int:
    hits = [layer["index"] for layer in doc["layers"] if needle in (layer["created_by"] or "")]
    assert len(hits) == 1, (needle, [layer["created_by"] for layer in doc["layers"]])
    return hits[0]


def only(doc: dict, rule: str, path: str | None = None) -> dict:
    hits = [f for f in doc["findings"] if f["rule_id"] == rule and (path is None or f["location"].get("path") == path)]
    assert len(hits) == 1, (rule, path, [f["message"] for f in doc["findings"] if f["rule_id"] == rule])
    return hits[0]


def test_deleted_key_is_found_in_the_layer_that_added_it(planted_report):
    doc, _ = planted_report
    f = only(doc, "secrets.private-key", "/root/.ssh/id_ed25519")
    assert f["severity"] == "critical"
    assert f["location"]["layer_index"] == layer_of(doc, "in /root/.ssh")
    assert f["details"]["in_final_filesystem"] is False
    assert f["details"]["hidden_in"] == layer_of(doc, "rm /root/.ssh/id_ed25519")
    assert "openssh-key-v1" in f["details"]["why"] and "still shipped" in f["message"]
    assert f["details"]["redacted"].startswith("[openssh private key, fingerprint sha256:")
    kept = only(doc, "secrets.private-key", "/etc/app/server.key")
    assert kept["details"]["in_final_filesystem"] is True


def test_config_secrets_build_arg_env_and_files(planted_report):
    doc, _ = planted_report
    arg = [f for f in doc["findings"] if f["rule_id"] == "secrets.github-token"]
    assert arg and all(f["details"]["source"] == "config.history" for f in arg)
    assert len(arg) == 1 and arg[0]["severity"] == "high"
    # Every RUN after the ARG records it; the finding starts at the first one and lists them all.
    assert arg[0]["location"]["layer_index"] == layer_of(doc, "rm /root/.ssh")
    assert layer_of(doc, 'test -n "$GH_TOKEN"') in arg[0]["details"]["layers"]
    assert any(f["details"].get("key") == "GH_TOKEN" for f in arg)
    env_findings = [f for f in doc["findings"] if f["rule_id"] == "secrets.env"]
    old = [f for f in env_findings if f["details"]["source"] == "config.history"]
    assert len(old) == 1 and old[0]["details"]["key"] == "OLD_API_TOKEN" and "overridden later" in old[0]["message"]
    env = [f for f in env_findings if f["details"]["source"] == "config.Env"][0]
    assert env["details"]["key"] == "DB_PASSWORD" and env["details"]["redacted"] == "hu…et (19 chars)"
    git = only(doc, "secrets.git-credentials", "/app/.git/config")
    assert git["location"]["layer_index"] == layer_of(doc, "in /app/")
    assert only(doc, "secrets.env-file", "/app/.env")["details"]["why"].endswith("DB_PASSWORD looks secret")
    aws = only(doc, "secrets.aws-access-key-id", "/app/deploy/aws.ini")
    assert aws["severity"] == "critical"
    only(doc, "secrets.aws-secret-key", "/app/deploy/aws.ini")


def test_false_positive_controls(planted_report):
    doc, _ = planted_report
    secret_paths = {f["location"].get("path") for f in doc["findings"] if f["rule_id"].startswith("secrets.")}
    for path in ("/app/settings.py", "/app/README.pem", "/app/id_ed25519.pub", "/app/docs.md", "/root/.npmrc"):
        assert path not in secret_paths
    assert not [f for f in doc["findings"] if f["rule_id"] == "secrets.npmrc"]  # created and deleted in one RUN


def test_values_are_redacted_in_json_and_table(planted_report, keypair):
    doc, table = planted_report
    text = json.dumps(doc)
    body_line = keypair["openssh"].splitlines()[2]
    for value in (GH_TOKEN, DB_PASSWORD, OLD_TOKEN, GIT_PASSWORD, ENV_FILE_PASSWORD, AWS_SECRET, AWS_ID, body_line):
        assert value not in text
        assert value not in table
    assert "hu…et (19 chars)" in table
    assert "Findings" in table and "secrets.private-key" in table
    assert "[openssh private key, fingerprint sha256:" in table  # shown literally, not eaten as markup


def test_privilege_tools_and_leftovers(planted_report):
    doc, _ = planted_report
    suid = only(doc, "privilege.setuid", "/usr/local/bin/rootsh")
    assert suid["severity"] == "critical"
    assert suid["location"]["layer_index"] == layer_of(doc, "chmod 4755")
    assert len([f for f in doc["findings"] if f["rule_id"] == "privilege.setuid"]) == 1  # base's su, passwd … not flagged
    only(doc, "privilege.root-user")
    assert only(doc, "privilege.no-healthcheck")["severity"] == "info"
    apt_layer = layer_of(doc, "apt-get install")
    compiler = [f for f in doc["findings"] if f["rule_id"] == "tools.compiler"]
    by_layer = {f["location"]["layer_index"]: f for f in compiler}
    assert by_layer[layer_of(doc, "/usr/bin/gcc")]["details"]["paths"] == ["/usr/bin/gcc"]
    assert "make" in by_layer[apt_layer]["details"]["packages"]
    assert all(f["severity"] == "high" for f in compiler)
    base_tools = [f for f in doc["findings"] if f["rule_id"] in ("tools.shell", "tools.package-manager")]
    assert base_tools and all(f["severity"] == "info" and f["details"]["from_base"] for f in base_tools)
    lists = only(doc, "leftovers.apt-lists")
    assert lists["location"]["layer_index"] == apt_layer and lists["estimated_bytes"] > 1_000_000
    pip = only(doc, "leftovers.pip-cache")
    assert pip["location"]["layer_index"] == layer_of(doc, ".cache/pip") and pip["estimated_bytes"] == 300_000
    git = only(doc, "leftovers.git")
    assert git["details"]["roots"] == ["/app/.git"] and git["estimated_bytes"] > 5000
    assert only(doc, "leftovers.tests")["location"]["path"] == "/app/tests"
    assert only(doc, "leftovers.pycache")["details"]["examples"] == ["/app/__pycache__/main.cpython-311.pyc"]
    core = only(doc, "leftovers.core-dump")
    assert core["details"]["examples"] == ["/app/crash/core"] and core["severity"] == "medium"
    writable = [f["location"]["path"] for f in doc["findings"] if f["rule_id"] == "privilege.world-writable"]
    assert writable == ["/srv/shared"]  # not the sticky /srv/sticky, not /tmp
    assert only(doc, "privilege.expose-ssh")["severity"] == "medium"


def test_checks_option_selects_families(dockopt, planted, tmp_path):
    (tmp_path / ".dockopt.yaml").write_text("analyze:\n  checks: [tools]\n")
    proc = dockopt("analyze", "-q", "--format", "json", f"docker:{planted}", cwd=tmp_path)
    assert {f["rule_id"].split(".")[0] for f in json.loads(proc.stdout)["findings"]} == {"tools"}
    doc, _ = analyze(dockopt, planted, "--checks", "privilege,leftovers")
    families = {f["rule_id"].split(".")[0] for f in doc["findings"]}
    assert families == {"privilege", "leftovers"} and doc["checks"] == ["privilege", "leftovers"]
    proc = dockopt("analyze", "-q", "--checks", "secrets,bogus", f"docker:{planted}")
    assert proc.returncode == 2 and "unknown check 'bogus'" in proc.stderr and not proc.stdout
    proc = dockopt("analyze", "-q", "--checks", "privilege", "--fail-severity", "critical", f"docker:{planted}")
    assert proc.returncode == 1


def test_allowlist_in_config(dockopt, planted, tmp_path):
    (tmp_path / ".dockopt.yaml").write_text(
        "analyze:\n  secrets:\n    allow:\n      - /app/deploy/*\n      - secrets.env\n      - '^ghp_'\n")
    proc = dockopt("analyze", "-q", "--format", "json", "--checks", "secrets", f"docker:{planted}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rules = {(f["rule_id"], f["location"].get("path")) for f in json.loads(proc.stdout)["findings"]}
    assert not any(path and path.startswith("/app/deploy/") for _, path in rules)
    assert ("secrets.env", None) not in rules and not any(r == "secrets.github-token" for r, _ in rules)
    assert ("secrets.private-key", "/etc/app/server.key") in rules  # not allowed: still reported
    (tmp_path / ".dockopt.yaml").write_text("analyze:\n  secrets:\n    allow:\n      - '(['\n")
    proc = dockopt("analyze", "-q", "--checks", "secrets", f"docker:{planted}", cwd=tmp_path)
    assert proc.returncode == 2 and "invalid pattern" in proc.stderr


def test_careful_image_has_nothing_above_info(dockopt, careful):
    doc, proc = analyze(dockopt, careful, "--fail-severity", "low")
    above = [f for f in doc["findings"] if f["severity"] != "info"]
    assert above == [], [f["message"] for f in above]
    assert proc.returncode == 0
    assert doc["base"]["layers"] == 1
