#!/usr/bin/env bash
# Try dockopt on the image-size playbook's own examples, on a real engine:
#   - examples/apt: the index update and two installs in separate RUNs;
#   - examples/download: download, extract and delete in separate layers, and its multi-stage twin.
# It installs dockopt into .venv, starts a private Docker engine if none is reachable (installing
# Debian's docker.io and debootstrap when missing: needs root) and builds the examples on a
# Debian base made with debootstrap; then it lints them with their fixes, analyzes the two
# download images and their size difference, lists packages, scans them against the sample OSV
# records of the tests, and shows the engine's disk use and a prune plan. What it started, it
# stops; the images stay until you prune them (the plan at the end shows how).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "try.sh: Python 3.11 or newer is needed as python3" >&2; exit 2
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  step "installing python3-venv from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
step "installing dockopt into .venv (pip, about 20 s the first time)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
dockopt=.venv/bin/dockopt

step "a Docker engine and a Debian base image (the first time: packages and debootstrap, a few minutes)"
env_lines=$(bash scripts/testenv.sh up --minimal) || exit 2
eval "$env_lines"
trap 'bash scripts/testenv.sh down' EXIT
docker_cli=$(command -v /usr/bin/docker || command -v docker)
base=dockopt-test/debian:bookworm
build() {  # build TAG DOCKERFILE CONTEXT
  step "docker build -t $1 -f $2 (apt/downloads inside the build; up to a minute each)"
  "$docker_cli" build -q --network host --label dockopt.example=1 --build-arg "BASE=$base" \
    -t "$1" -f "$2" "$3" >/dev/null
}
build dockopt-example/apt:naive examples/apt/Dockerfile examples/apt
build dockopt-example/download:naive examples/download/Dockerfile examples/download
build dockopt-example/download:multistage examples/download/Dockerfile.multistage examples/download

run() { printf '\n$ dockopt %s\n' "$*"; "$dockopt" "$@" || true; }
step "lint: what is wrong in the naive Dockerfiles, and the fixes dockopt would apply"
run lint examples/apt/Dockerfile examples/download/Dockerfile
run lint --diff examples/apt/Dockerfile
run lint --diff examples/download/Dockerfile

step "analyze: where the bytes of the naive download image went, and of its multi-stage twin"
run analyze docker:dockopt-example/download:naive
run analyze docker:dockopt-example/download:multistage --checks waste
sizes=$("$dockopt" analyze -q --format json docker:dockopt-example/download:naive || true)
sizes_ms=$("$dockopt" analyze -q --format json docker:dockopt-example/download:multistage || true)
.venv/bin/python - "$sizes" "$sizes_ms" <<'PY'
import json, sys
from dockopt.report.output import human_bytes
naive, multi = (json.loads(text)["summary"] for text in sys.argv[1:3])
print(f"\nsize: naive {human_bytes(naive['total_bytes'])}, multi-stage {human_bytes(multi['total_bytes'])}, "
      f"saved {human_bytes(naive['total_bytes'] - multi['total_bytes'])} "
      f"({1 - multi['total_bytes'] / naive['total_bytes']:.0%}); wasted bytes in the naive image: "
      f"{human_bytes(naive['wasted_bytes'])}")
PY

step "sbom and scan: the packages of the apt image, matched against the tests' sample advisories"
db=$(mktemp -d)/osv.sqlite3
run sbom docker:dockopt-example/apt:naive
run db import --db "$db" tests/vuln/data/osv
run scan --db "$db" docker:dockopt-example/apt:naive

step "disk and prune: the engine's disk use, and what removing the examples would free (a dry run)"
run disk
run prune --images --filter label=dockopt.example=1

cat <<EOF_NOTE

==> Done. Next steps:
  run dockopt:      $PWD/.venv/bin/dockopt --help   (or: source .venv/bin/activate; or: pipx install .)
  keep an engine:   env_lines=\$(bash scripts/testenv.sh up --minimal) && eval "\$env_lines"
                    (this script stops the engine it started; the line above starts it again and
                    sets DOCKER_HOST, so \`dockopt analyze docker:dockopt-example/apt:naive\` works)
  remove examples:  dockopt prune --images --filter label=dockopt.example=1 --yes
  clean up all:     bash scripts/testenv.sh clean; rm -rf .venv
EOF_NOTE
