#!/usr/bin/env bash
# Starts codestatsd (web, ingest, channels) on ephemeral ports with a fresh var dir, installs
# the pinned npm packages (phoenix, phoenix 1.2.1 as phoenix-v1, ws) and runs the V2 and V1
# client tests with node's test runner.
#   run.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
work="$build/e2e-phoenix"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

. "$here/../host.sh"
e2e_start_host "$build" web,ingest,channels phoenix-e2e
cd "$work"
rc=0
node --test --test-concurrency=1 live_update.test.mjs live_update_v1.test.mjs || rc=$?
exit "$rc"
