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

. "$here/../host.sh"
e2e_start_host "$build" web,ingest,channels phoenix-e2e
cd "$work"
rc=0
node --test live_update.test.mjs || rc=$?
exit "$rc"
