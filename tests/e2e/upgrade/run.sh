#!/usr/bin/env bash
# Host upgrades under load (upgrade.test.mjs), on SQLite and, when PostgreSQL is there
# (PGTEST_URI, scripts/pgtest.sh), on PostgreSQL: one codestatsd with web, ingest, cache and
# channels; the test upgrades it UP_UPGRADES times, alternating the built binary and a copy.
#   run.sh BUILD_DIR
#   UP_KEEP_LOG=DIR   keeps each backend's host log as DIR/host-<backend>.log
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"

# This shell adopts the orphans (PR_SET_CHILD_SUBREAPER, kept across exec): an upgraded
# host's successor is the old host's child and would otherwise end up with init, out of
# reach of `wait` and of this script's clean-up.
if [ -z "${UP_SUBREAPER:-}" ]; then
  export UP_SUBREAPER=1
  exec python3 -c 'import ctypes, os, sys; ctypes.CDLL(None).prctl(36, 1, 0, 0, 0); os.execvp(sys.argv[1], sys.argv[1:])' \
    bash "$0" "$@"
fi
for tool in node npm python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps.sh --test)" >&2; exit 1; }
done

work="$build/e2e-upgrade"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
# Two binaries to alternate between; the copy is another file, so each upgrade starts the
# other one (a new build installed in place is the same case).
cp "$build/bin/codestatsd" "$work/codestatsd-b"
printf '#!/bin/sh\necho "broken build" >&2\nexit 3\n' > "$work/codestatsd-broken"
chmod +x "$work/codestatsd-b" "$work/codestatsd-broken"
ctl="$build/bin/codestatsctl"

backends=(sqlite)
if [ -n "${PGTEST_URI:-}" ]; then
  backends+=(postgres)
elif [ "${CI:-}" = true ]; then
  echo "FAIL: PGTEST_URI is not set (scripts/pgtest.sh)" >&2
  exit 1
fi

current_pid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$1/codestatsd.ports" 2>/dev/null; }

rc=0
for backend in "${backends[@]}"; do
  var="$(mktemp -d)"
  schema=""
  db_args=()
  if [ "$backend" = postgres ]; then
    schema="upgrade_e2e_$$"
    psql "$PGTEST_URI" -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $schema" >/dev/null
    db_args=(--set db.backend=postgres --set "db.postgres.conninfo=$PGTEST_URI options='-csearch_path=$schema'")
  fi
  "$build/bin/codestatsd" --set "var_dir=$var" --set http.port=0 --set admin.port=0 \
    --set modules=web,ingest,cache,channels --set log.level=info "${db_args[@]}" >"$var/host.log" 2>&1 &
  for _ in $(seq 600); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
  "$ctl" --var-dir "$var" run web.create-user upgrader >/dev/null
  token="$("$ctl" --var-dir "$var" run web.create-machine upgrader laptop)"
  echo "# backend: $backend"
  (cd "$work" && UP_VAR="$var" UP_CTL="$ctl" UP_USER=upgrader UP_TOKEN="$token" \
    UP_BIN_A="$build/bin/codestatsd" UP_BIN_B="$work/codestatsd-b" UP_BIN_BROKEN="$work/codestatsd-broken" \
    node --test --test-reporter=spec upgrade.test.mjs) || rc=1
  pid="$(current_pid "$var" || true)"
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  wait || true
  if [ $rc -ne 0 ]; then
    echo "---- host log ($backend), its upgrades, warnings and errors" >&2
    grep -E '\[upgrade\]| warning | error | critical |1012' "$var/host.log" | tail -120 >&2 || true
    echo "---- host log ($backend), last 80 lines" >&2
    tail -80 "$var/host.log" >&2
  fi
  if grep -q "ERROR: AddressSanitizer\|runtime error:" "$var/host.log"; then
    cp "$var/host.log" "${CODESTATS_SANITIZER_LOG_DIR:-$work}/upgrade-e2e-$backend.log" 2>/dev/null || true
  fi
  [ -z "${UP_KEEP_LOG:-}" ] || cp "$var/host.log" "$UP_KEEP_LOG/host-$backend.log"
  [ -z "$schema" ] || psql "$PGTEST_URI" -X -q -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$var"
done
exit $rc
