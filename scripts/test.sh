#!/usr/bin/env bash
# Quick start (b): install what is missing, build, run the fuzz targets for a bounded time,
# start a throwaway PostgreSQL, and run the whole test suite, so that every DB test runs on
# SQLite and on PostgreSQL. Extra arguments go to ctest (e.g. -L reload, -R integration).
#
# FUZZ_SECONDS=N (default 60; 0 skips) is the total time of the libFuzzer run (fuzz/run.sh,
# clang build in build-fuzz/). It is skipped with SANITIZE=1 (the fuzzers carry ASan+UBSan
# themselves) and when ctest arguments select a subset.
#
# SANITIZE=1 runs the same suite on an ASan+UBSan build in build-asan/ (or $BUILD_DIR) and
# fails if any process produced a sanitizer report, including the codestatsd children the
# tests start (whose logs the tests delete). The reports are kept in
# <build dir>/sanitizer-reports/. The negative control's host is expected to crash; its
# reports go to <build dir>/tests/integration/negative_control_sanitizer/ instead.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize="${SANITIZE:-0}"
[ "$sanitize" != 1 ] || export BUILD_DIR="${BUILD_DIR:-build-asan}"
scripts/deps.sh --test
# ccache keys on paths relative to the checkout, not on the working directory: a fresh
# clone (CI) reuses what another checkout of the project compiled on this machine. (Debug
# info of such a hit names the other checkout's directory.)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
scripts/build.sh
if [ "$sanitize" != 1 ] && [ $# -eq 0 ] && [ "${FUZZ_SECONDS:-60}" != 0 ]; then
  fuzz/run.sh "${FUZZ_SECONDS:-60}"
fi

. scripts/pgtest.sh
# A port below the ephemeral range (32768-60999): the tests open hundreds of outgoing
# connections, and one of them could otherwise hold the port PostgreSQL wants.
pgtest_start "${PGTEST_PORT:-25432}"
trap pgtest_stop EXIT

# With CI set, a DB test fails instead of skipping PostgreSQL when PGTEST_URI is missing.
export CI="${CI:-true}"
cd "${BUILD_DIR:-build}"
if [ "$sanitize" != 1 ]; then
  ctest --output-on-failure -j 2 "$@"
  exit
fi

# ASan/LSan write their reports to files under $reports (log_path; a host's stderr is its
# log file, deleted with its temporary directory). GCC's shared UBSan runtime ignores
# log_path and always writes to stderr, so the tests copy a host log that contains a
# sanitizer report to CODESTATS_SANITIZER_LOG_DIR (tests/support/host_process.cpp). Do not
# put log_path in UBSAN_OPTIONS: libasan also reads it from there, after ASAN_OPTIONS.
reports="$PWD/sanitizer-reports"
rm -rf "$reports" tests/integration/negative_control_sanitizer
mkdir -p "$reports" tests/integration/negative_control_sanitizer
export CODESTATS_SANITIZER_LOG_DIR="$reports"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
rc=0
ctest --output-on-failure -j 2 "$@" || rc=$?
if [ -n "$(ls -A "$reports")" ]; then
  for f in "$reports"/*; do
    echo "---- sanitizer report: $f" >&2
    cat "$f" >&2
  done
  echo "FAILED: sanitizer reports in $reports" >&2
  [ "$rc" != 0 ] || rc=1
fi
exit "$rc"
