#!/usr/bin/env bash
# Configures and builds into build/ (or $BUILD_DIR): everything the tests need, or only the
# given targets (scripts/run.sh: codestats_server, what serving needs).
#   scripts/build.sh [TARGET...]
#   BUILD_TYPE=Release|RelWithDebInfo|Debug   (default RelWithDebInfo)
#   SANITIZE=1                                ASan + UBSan build (compiled with -O1 -g1, see
#                                             CMakeLists.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
extra=()
[ "${SANITIZE:-0}" = 1 ] && extra+=(-DCODESTATS_SANITIZE=ON)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${extra[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
