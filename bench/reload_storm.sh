#!/usr/bin/env bash
# Latency during a reload storm versus steady state: 8 keep-alive clients (2 of them on a
# 20 ms slow route) against the hello fixture; first SECONDS without reloads, then SECONDS
# with a v1/v2 reload every INTERVAL ms. Prints p50/p99 of the fast requests for both phases
# and their ratio. Budget: p99 during reloads under 2x steady. Also asserts 0 failures.
#   bench/reload_storm.sh [SECONDS] [INTERVAL_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}" interval="${2:-50}"
build="${BUILD_DIR:-build}"
out="$("$build/bin/reload_under_load" --steady-seconds "$secs" --seconds "$secs" --interval-ms "$interval")"
echo "$out"
ratio="$(echo "$out" | awk -F= '/p99 ratio/ {print $2}')"
awk -v r="$ratio" 'BEGIN {exit !(r < 2.0)}' && echo "PASS (p99 ratio $ratio < 2)" || { echo "OVER BUDGET"; exit 1; }
