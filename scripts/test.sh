#!/usr/bin/env bash
# Install everything the tests need (Python venv, Docker engine, base images, registry), run
# the whole test suite, and stop what was started. Extra arguments go to pytest.
# At the end, the private engine's dangling images and build cache are removed (set
# DOCKOPT_TEST_KEEP_IMAGES=1 to keep them and the test images, for a faster next run).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "test.sh: Python 3.11 or newer is needed as python3" >&2; exit 2
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "test.sh: installing python3-venv from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
echo "test.sh: installing dockopt and the test dependencies into .venv" >&2
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

env_lines=$(bash scripts/testenv.sh up) || exit 2
eval "$env_lines"
private_engine="unix://${DOCKOPT_TESTENV_DIR:-/var/tmp/dockopt-testenv}/docker.sock"
finish() {
  if [ "${DOCKOPT_TEST_KEEP_IMAGES:-}" != 1 ] && [ "$DOCKER_HOST" = "$private_engine" ]; then
    echo "test.sh: removing the private engine's dangling images and build cache" >&2
    docker_cli=$(command -v /usr/bin/docker || command -v docker)
    "$docker_cli" image prune -f >/dev/null 2>&1 || true
    "$docker_cli" builder prune -af >/dev/null 2>&1 || true
  fi
  bash scripts/testenv.sh down
}
trap finish EXIT
export DOCKOPT_REQUIRE_ENGINE=1

.venv/bin/python -m pytest "$@"
