#!/usr/bin/env bash
# Test environment for dockopt: a Docker engine, base images and a local registry.
#
#   scripts/testenv.sh up [--minimal]  install what is missing, start what is not running, print
#                                      env lines; --minimal: only the engine and the Debian base
#                                      image (what scripts/try.sh needs), no test oracles or registry
#   scripts/testenv.sh down            stop only what an earlier `up` started
#   scripts/testenv.sh env             print the env lines (DOCKER_HOST, DOCKOPT_TEST_REGISTRY)
#   scripts/testenv.sh clean           stop what any `up` started and remove everything `up` and
#                                      the tests created: the state dir (private engine's data,
#                                      registry storage, logs) and the cached base-image tarball
#
# Use it as `env_lines=$(bash scripts/testenv.sh up) || exit 2; eval "$env_lines"`: a failing
# `up` prints one line on stderr and exits 2, and a bare `eval "$(…)"` would hide that.
# An engine that is already reachable (DOCKER_HOST, /var/run/docker.sock, or our own socket
# from an earlier `up`) is used as it is and never stopped by `down` or `clean`.
set -euo pipefail

STATE=${DOCKOPT_TESTENV_DIR:-/var/tmp/dockopt-testenv}
CACHE=${DOCKOPT_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockopt-testenv}
REGISTRY_ADDR=${DOCKOPT_TEST_REGISTRY:-127.0.0.1:5055}
SOCK="$STATE/docker.sock"
DEBIAN_IMAGE=dockopt-test/debian:bookworm
BUSYBOX_IMAGE=dockopt-test/busybox:latest

log() { echo "testenv: $*" >&2; }

need_root() {
  if [ "$(id -u)" != 0 ]; then log "must run as root to $1"; exit 2; fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x /usr/bin/docker ] || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  if [ "$MINIMAL" != 1 ]; then
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v dpkg >/dev/null || missing+=(dpkg)
  command -v curl >/dev/null || missing+=(curl)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v rpm >/dev/null || missing+=(rpm)                      # oracle for RPM version order
  [ -f /usr/share/java/maven-artifact-3.x.jar ] || missing+=(libmaven3-core-java)  # Maven's ComparableVersion
  command -v java >/dev/null || missing+=(default-jre-headless)  # runs that oracle
  command -v rpmbuild >/dev/null || missing+=(rpm)  # catalog tests: a real sqlite rpmdb and its oracle
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)  # private keys planted by the hygiene tests
  command -v openssl >/dev/null || missing+=(openssl)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    need_root "install ${missing[*]}"
    log "installing ${missing[*]} from Debian (a minute or two)"
    apt-get update -qq >"$STATE/apt.log" 2>&1 || { log "apt-get update failed; see $STATE/apt.log"; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      >>"$STATE/apt.log" 2>&1 || { log "installing ${missing[*]} failed; see $STATE/apt.log"; exit 2; }
  fi
}

# The docker CLI to use: Debian's when present (it matches Debian's engine).
docker_cli() { if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else docker "$@"; fi; }

engine_ok() { DOCKER_HOST="$1" timeout 10 "$(command -v /usr/bin/docker || command -v docker)" version >/dev/null 2>&1; }

pick_engine() {
  if [ -n "${DOCKER_HOST:-}" ] && engine_ok "$DOCKER_HOST"; then echo "$DOCKER_HOST"; return; fi
  if [ -S /var/run/docker.sock ] && engine_ok unix:///var/run/docker.sock; then echo unix:///var/run/docker.sock; return; fi
  if [ -S "$SOCK" ] && engine_ok "unix://$SOCK"; then echo "unix://$SOCK"; return; fi
  echo ""
}

start_engine() {
  need_root "start dockerd"
  mkdir -p "$STATE"
  log "starting a private dockerd on $SOCK"
  # containerd is started by dockerd itself when none runs; --iptables/--bridge off: no host network changes.
  nohup dockerd --data-root "$STATE/data" --exec-root "$STATE/exec" --pidfile "$STATE/docker.pid" \
    -H "unix://$SOCK" --iptables=false --ip6tables=false --bridge=none \
    >"$STATE/dockerd.log" 2>&1 &
  echo $! >"$STATE/dockerd.started"
  for _ in $(seq 1 120); do
    if engine_ok "unix://$SOCK"; then return 0; fi
    if ! kill -0 "$(cat "$STATE/dockerd.started")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  log "dockerd did not come up; see $STATE/dockerd.log"; exit 2
}

debian_mirror() {
  # The mirror apt already uses (deb822 or one-line sources).
  local m
  m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

build_bases() {
  mkdir -p "$CACHE"
  local certs=/etc/ssl/certs/ca-certificates.crt
  local env_changes=(--change "ENV PIP_CERT=$certs" --change "ENV NODE_EXTRA_CA_CERTS=$certs"
                     --change "ENV SSL_CERT_FILE=$certs" --change "LABEL dockopt.test=base")
  if ! docker_cli image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
    local tarball="$CACHE/bookworm-minbase.tar"
    if [ ! -s "$tarball" ]; then
      need_root "run debootstrap"
      local root; root=$(mktemp -d "$STATE/rootfs.XXXXXX")
      log "debootstrap bookworm minbase from $(debian_mirror) (about 30 s)"
      debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)" >"$STATE/debootstrap.log" 2>&1 \
        || { log "debootstrap failed; see $STATE/debootstrap.log"; exit 2; }
      # Trust the same certificate authorities as the host, so pip/npm inside builds work.
      mkdir -p "$root/etc/ssl/certs" && cp "$certs" "$root/etc/ssl/certs/ca-certificates.crt"
      rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
      tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
      rm -rf "$root"
    fi
    log "importing $DEBIAN_IMAGE"
    docker_cli import "${env_changes[@]}" --change 'CMD ["bash"]' "$tarball" "$DEBIAN_IMAGE" >/dev/null
  fi
  if [ "$MINIMAL" != 1 ] && ! docker_cli image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
    local root; root=$(mktemp -d "${STATE:-/tmp}/busybox.XXXXXX")
    mkdir -p "$root/bin" "$root/etc/ssl/certs" "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in sh ls cat echo rm mkdir cp mv ln chmod touch dd head tail sleep true false env wget tar gzip; do
      ln -s busybox "$root/bin/$applet"
    done
    cp "$certs" "$root/etc/ssl/certs/ca-certificates.crt"
    log "importing $BUSYBOX_IMAGE"
    tar -C "$root" -c . | docker_cli import "${env_changes[@]}" --change 'CMD ["sh"]' - "$BUSYBOX_IMAGE" >/dev/null
    rm -rf "$root"
  fi
}

registry_ok() { curl -fsS -m 3 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }

start_registry() {
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YML
  log "starting docker-registry on $REGISTRY_ADDR"
  nohup docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 &
  echo $! >"$STATE/registry.started"
  for _ in $(seq 1 40); do registry_ok && return 0; sleep 0.25; done
  log "registry did not come up; see $STATE/registry.log"; exit 2
}

print_env() {
  local host; host=$(pick_engine)
  echo "export DOCKER_HOST=${host:-unix://$SOCK}"
  echo "export DOCKOPT_TEST_REGISTRY=$REGISTRY_ADDR"
}

# Alive and not a zombie: `kill -0` succeeds on a zombie (an exited child nobody reaped yet).
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

stop_pidfile() {
  local f="$1" name="$2"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if alive "$pid"; then
    log "stopping $name ($pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do alive "$pid" || break; sleep 0.5; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$f"
}

clean() {
  stop_pidfile "$STATE/registry.started" docker-registry
  stop_pidfile "$STATE/dockerd.started" dockerd
  if [ -d "$STATE" ]; then
    # A stopped dockerd unmounts its layers; refuse to delete through a mount that is left.
    if grep -q " $STATE/" /proc/mounts 2>/dev/null; then
      log "something is still mounted under $STATE (see /proc/mounts); unmount it, then run clean again"; exit 2
    fi
    log "removing $STATE ($(du -sh "$STATE" 2>/dev/null | cut -f1))"
    rm -rf "$STATE"
  fi
  if [ -d "$CACHE" ]; then
    log "removing $CACHE ($(du -sh "$CACHE" 2>/dev/null | cut -f1))"
    rm -rf "$CACHE"
  fi
}

MINIMAL=0
[ "${2:-}" = --minimal ] && MINIMAL=1

case "${1:-}" in
  up)
    mkdir -p "$STATE" 2>/dev/null || { log "cannot create $STATE; set DOCKOPT_TESTENV_DIR to a writable folder"; exit 2; }
    install_packages
    host=$(pick_engine)
    started=""
    if [ -z "$host" ]; then start_engine; host="unix://$SOCK"; started="engine"; fi
    export DOCKER_HOST="$host"
    build_bases
    if [ "$MINIMAL" != 1 ] && ! registry_ok; then start_registry; started="$started registry"; fi
    print_env
    # What this `up` started, so the matching `down` stops exactly that.
    echo "export DOCKOPT_TESTENV_STARTED='${started# }'"
    ;;
  down)
    # With DOCKOPT_TESTENV_STARTED set (by `eval "$(testenv.sh up)"`), stop only what that `up`
    # started; without it, stop everything an `up` ever started.
    what=${DOCKOPT_TESTENV_STARTED-engine registry}
    case " $what " in *" registry "*) stop_pidfile "$STATE/registry.started" docker-registry ;; esac
    case " $what " in *" engine "*) stop_pidfile "$STATE/dockerd.started" dockerd ;; esac
    ;;
  env) print_env ;;
  clean) clean ;;
  *) echo "usage: $0 up [--minimal]|down|env|clean" >&2; exit 2 ;;
esac
