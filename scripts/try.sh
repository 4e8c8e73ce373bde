#!/usr/bin/env bash
# Install dockopt into .venv and run every command on a real example: lint and check the build
# context of examples/waste, build it with the engine (a private one is started if none is
# reachable, and stopped afterwards), analyze it, list its packages, scan them against the OSV
# sample records shipped with the tests, and show the engine's disk use and a prune plan.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .

eval "$(bash scripts/testenv.sh up)"
trap 'bash scripts/testenv.sh down' EXIT
docker_cli=$(command -v /usr/bin/docker || command -v docker)
"$docker_cli" build -q --network host --label dockopt.example=1 -t dockopt-example/waste:latest examples/waste >/dev/null

db=$(mktemp -d)/osv.sqlite3
set -x
.venv/bin/dockopt lint examples/waste/Dockerfile || true
.venv/bin/dockopt lint --diff examples/waste/Dockerfile || true
.venv/bin/dockopt context examples/waste || true
.venv/bin/dockopt analyze docker:dockopt-example/waste:latest || true
{ .venv/bin/dockopt analyze docker:dockopt-example/waste:latest --fail-on lowestEfficiency=0.9 --format json || true; } \
  | .venv/bin/python -c 'import json,sys; d=json.load(sys.stdin); print("efficiency", d["summary"]["efficiency"], "passed", d["passed"])'
.venv/bin/dockopt sbom docker:dockopt-example/waste:latest
.venv/bin/dockopt db import --db "$db" tests/vuln/data/osv
.venv/bin/dockopt db status --db "$db"
.venv/bin/dockopt scan --db "$db" docker:dockopt-example/waste:latest || true
.venv/bin/dockopt disk
.venv/bin/dockopt prune --dangling --filter label=dockopt.example=1
