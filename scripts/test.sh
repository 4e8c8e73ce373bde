#!/usr/bin/env bash
# Install everything the tests need (Python venv, Docker engine, base images, registry), run
# the whole test suite, and stop what was started. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "test.sh: Python 3.11 or newer is needed as python3" >&2; exit 2
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

eval "$(bash scripts/testenv.sh up)"
trap 'bash scripts/testenv.sh down' EXIT
export DOCKOPT_REQUIRE_ENGINE=1

.venv/bin/python -m pytest "$@"
