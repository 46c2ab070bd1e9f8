#!/usr/bin/env bash
# Quick start (a): install what is missing, build, and start codestatsd on
# http://127.0.0.1:8080 with every module loaded and the embedded SQLite database in var/.
# Extra arguments go to codestatsd (e.g. --config FILE, --set http.port=9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh codestats_server  # the host, codestatsctl and the modules; not the tests
exec "${BUILD_DIR:-build}/bin/codestatsd" "$@"
