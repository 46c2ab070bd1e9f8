#!/usr/bin/env bash
# Configures and builds everything into build/ (or $BUILD_DIR).
#   BUILD_TYPE=Release|RelWithDebInfo|Debug   (default RelWithDebInfo)
#   SANITIZE=1                                ASan + UBSan build
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
extra=()
[ "${SANITIZE:-0}" = 1 ] && extra+=(-DCODESTATS_SANITIZE=ON)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "${extra[@]}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
