#!/usr/bin/env bash
# Quick start (b): install what is missing, build, start a throwaway PostgreSQL, and run
# the whole test suite, so that every DB test runs on SQLite and on PostgreSQL.
# Extra arguments go to ctest (e.g. -L reload, -R integration).
#
# SANITIZE=1: the same suite on an ASan+UBSan build in build-asan/ (or $BUILD_DIR). The
# run fails if any process, including the codestatsd children the tests start, produced a
# sanitizer report; the negative control's expected crash is kept apart (see
# tests/integration/CMakeLists.txt). Reports are kept in $BUILD_DIR/sanitizer-reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize="${SANITIZE:-0}"
if [ "$sanitize" = 1 ]; then
  export BUILD_DIR="${BUILD_DIR:-build-asan}"
fi
scripts/deps.sh --test
scripts/build.sh

. scripts/pgtest.sh
pgtest_start "${PGTEST_PORT:-55432}"
trap pgtest_stop EXIT

# With CI set, a DB test fails instead of skipping PostgreSQL when PGTEST_URI is missing.
export CI="${CI:-true}"
cd "${BUILD_DIR:-build}"
if [ "$sanitize" != 1 ]; then
  ctest --output-on-failure -j 2 "$@"
  exit
fi

# ASan/LSan reports of every process go to files in $reports (UBSan in this toolchain always
# writes to stderr, and log_path must not be set in UBSAN_OPTIONS: libasan reads the common
# flags from UBSAN_OPTIONS last, so it would override ASan's). Host logs that contain a
# sanitizer report are copied to $reports by the tests (CODESTATS_SANITIZER_LOG_DIR).
reports="$PWD/sanitizer-reports"
rm -rf "$reports" tests/integration/negative_control_sanitizer/*
mkdir -p "$reports"
export CODESTATS_SANITIZER_LOG_DIR="$reports"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
if [ -f "$OLDPWD/tests/sanitizers/lsan.supp" ]; then
  export LSAN_OPTIONS="suppressions=$OLDPWD/tests/sanitizers/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
fi
rc=0
ctest --output-on-failure -j 2 "$@" || rc=$?
if [ -n "$(ls -A "$reports")" ]; then
  echo "sanitizer reports (outside the negative control) in $reports:" >&2
  for f in "$reports"/*; do
    echo "---- $f" >&2
    cat "$f" >&2
  done
  [ "$rc" != 0 ] || rc=1
fi
exit "$rc"
