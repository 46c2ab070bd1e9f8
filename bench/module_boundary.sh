#!/usr/bin/env bash
# Module boundary cost: req/s of GET /hello served by a loaded module (tests/fixtures
# hello_v1) versus the same handler compiled into the host (GET /__bench/hello, enabled by
# bench.builtin_route). Same host process, same connections, rounds interleaved A/B so
# drift hits both alike. Budget: the module route within 5% of the built-in one.
#   bench/module_boundary.sh [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}" secs="${2:-5}" conns="${3:-32}"
build="${BUILD_DIR:-build}"
command -v wrk >/dev/null || { echo "bench: wrk missing: apt-get install wrk" >&2; exit 1; }

var="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$var"' EXIT
"$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 --set log.level=warn \
  --set modules=hello --set modules.hello.artifact="$build/tests/fixtures/hello_v1.so" \
  --set bench.builtin_route=true >"$var/host.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"

rps() {  # URL -> requests/s
  wrk -t2 -c"$conns" -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'
}
wrk -t2 -c"$conns" -d2s "http://127.0.0.1:$port/hello" >/dev/null            # warm-up
wrk -t2 -c"$conns" -d2s "http://127.0.0.1:$port/__bench/hello" >/dev/null

mod=() builtin=()
for r in $(seq "$rounds"); do
  if (( r % 2 )); then
    m="$(rps "http://127.0.0.1:$port/hello")"; b="$(rps "http://127.0.0.1:$port/__bench/hello")"
  else
    b="$(rps "http://127.0.0.1:$port/__bench/hello")"; m="$(rps "http://127.0.0.1:$port/hello")"
  fi
  mod+=("$m"); builtin+=("$b")
  echo "round $r: module ${m} req/s, built-in ${b} req/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mm="$(median "${mod[@]}")" bm="$(median "${builtin[@]}")"
ratio="$(awk -v m="$mm" -v b="$bm" 'BEGIN {printf "%.3f", m / b}')"
echo "median: module ${mm} req/s, built-in ${bm} req/s, module/built-in = ${ratio} (budget >= 0.95)"
awk -v r="$ratio" 'BEGIN {exit !(r >= 0.95)}' && echo "PASS" || { echo "OVER BUDGET"; exit 1; }
