#!/usr/bin/env bash
# Host upgrades under load (issue 19): the host_upgrade_e2e scenario (tests/e2e/upgrade/)
# with UPGRADES upgrades, CLIENTS phoenix clients joined to users:<name>, POSTERS loops
# posting pulses and one reading the profile, on the build in BUILD_DIR. Prints, from one
# run: request latency p50/p99/max outside any upgrade and overlapping one, the upgrade
# duration (new process started -> taken over) and the events' pause, and the first
# profile read after each upgrade against the steady profile reads.
#   bench/upgrade.sh [sqlite|both]    (default sqlite)
#   UPGRADES=20 CLIENTS=200 POSTERS=4 BUILD_DIR=build PGPORT=55436
set -euo pipefail
cd "$(dirname "$0")/.."
build="$(cd "${BUILD_DIR:-build}" && pwd)"
which="${1:-sqlite}"
export UP_UPGRADES="${UPGRADES:-20}" UP_CLIENTS="${CLIENTS:-200}" UP_POSTERS="${POSTERS:-4}"
echo "load average before: $(cat /proc/loadavg)"
if [ "$which" != sqlite ]; then
  . scripts/pgtest.sh
  pgtest_start "${PGPORT:-55436}" >/dev/null
  trap 'pgtest_stop >/dev/null 2>&1 || true' EXIT
  export PGTEST_URI="host=127.0.0.1 port=$PGPORT user=app password=app dbname=app"
else
  unset PGTEST_URI
  export CI=false
fi
# run.sh runs SQLite, then PostgreSQL when PGTEST_URI is set.
bash tests/e2e/upgrade/run.sh "$build" 2>&1 | grep -E '^# |^✔|^✖|^not ok|^ok'
echo "load average after: $(cat /proc/loadavg)"
