#!/usr/bin/env bash
# Starts codestatsd (web, ingest, channels) on ephemeral ports with a fresh var dir, installs
# the pinned npm packages (phoenix, ws) and runs live_update.test.mjs with node's test runner.
#   run.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
work="$build/e2e-phoenix"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/live_update.test.mjs" "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

var="$(mktemp -d)"
pid=""
cleanup() {
  # (the host's exit status is kept: under set -e a failing `wait` used to end this trap early)
  local host_rc=0
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || host_rc=$?; fi
  # Sanitizer builds: keep a host log with a sanitizer report (see tests/support/HostProcess.cpp).
  if [ -n "${CODESTATS_SANITIZER_LOG_DIR:-}" ] &&
      grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$var/host.log" 2>/dev/null; then
    mkdir -p "$CODESTATS_SANITIZER_LOG_DIR"
    cp "$var/host.log" "$CODESTATS_SANITIZER_LOG_DIR/phoenix-e2e-host.$$.log"
    echo "sanitizer report in the host log, kept in $CODESTATS_SANITIZER_LOG_DIR" >&2
  fi
  [ "${rc:-1}" = 0 ] && [ "$host_rc" = 0 ] ||
    { echo "---- host log (host exit status $host_rc)" >&2; tail -n 50 "$var/host.log" >&2 || true; }
  rm -rf "$var"
  [ "$host_rc" = 0 ] || exit "$host_rc"
}
trap cleanup EXIT
"$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 \
  --set modules=web,ingest,channels --set module_dir="$build/modules" >"$var/host.log" 2>&1 &
pid=$!
for _ in $(seq 150); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
[ -f "$var/codestatsd.ports" ] || { echo "codestatsd did not start" >&2; exit 1; }
export CODESTATS_HTTP_PORT="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
export CODESTATS_ADMIN_PORT="$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$var/codestatsd.ports")"
export CODESTATS_ADMIN_TOKEN="$(cat "$var/admin.token")"
cd "$work"
rc=0
node --test live_update.test.mjs || rc=$?
exit "$rc"
