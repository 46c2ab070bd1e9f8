#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ (or $FUZZ_BUILD_DIR) and runs each
# for a bounded time, starting from the seed corpus in fuzz/corpus/<target>/. Inputs the
# fuzzer finds go to build-fuzz/fuzz/corpus/<target>/, never into the repository; a crash
# leaves its input in build-fuzz/fuzz/artifacts/ and fails the run.
#   fuzz/run.sh [TOTAL_SECONDS]     default 60, split evenly between the targets
#   fuzz/run.sh 0                   build only
# To keep a useful new input, copy it to fuzz/corpus/<target>/ (libFuzzer -merge=1 keeps
# the corpus small).
set -euo pipefail
cd "$(dirname "$0")/.."
total="${1:-60}"
build="${FUZZ_BUILD_DIR:-build-fuzz}"

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCODESTATS_FUZZ=ON >/dev/null
cmake --build "$build" --target codestats_fuzzers
read -r -a targets <<<"$(tr ';' ' ' <"$build/fuzz/targets.txt")"
[ "$total" -gt 0 ] || exit 0
[ "${#targets[@]}" -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }

each=$((total / ${#targets[@]}))
[ "$each" -ge 1 ] || each=1
mkdir -p "$build/fuzz/artifacts"
failed=0
for t in "${targets[@]}"; do
  work="$build/fuzz/corpus/$t"
  mkdir -p "$work"
  seeds="fuzz/corpus/$t"
  [ -d "$seeds" ] || seeds=""
  echo "fuzz: $t for ${each}s"
  if ! "$build/fuzz/$t" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz/artifacts/$t-" "$work" $seeds >"$build/fuzz/$t.log" 2>&1; then
    echo "FAILED: fuzz target $t (input in $build/fuzz/artifacts/, log $build/fuzz/$t.log):" >&2
    tail -40 "$build/fuzz/$t.log" >&2
    failed=1
  else
    grep -E "^stat::number_of_executed_units" "$build/fuzz/$t.log" | sed "s/^/fuzz: $t /" || true
  fi
done
exit "$failed"
