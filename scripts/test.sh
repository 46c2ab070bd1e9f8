#!/usr/bin/env bash
# Quick start (b): install what is missing, build, start a throwaway PostgreSQL, and run
# the whole test suite, so that every DB test runs on SQLite and on PostgreSQL.
# Extra arguments go to ctest (e.g. -L reload, -R integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/build.sh

. scripts/pgtest.sh
pgtest_start "${PGTEST_PORT:-55432}"
trap pgtest_stop EXIT

# With CI set, a DB test fails instead of skipping PostgreSQL when PGTEST_URI is missing.
export CI="${CI:-true}"
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j 2 "$@"
