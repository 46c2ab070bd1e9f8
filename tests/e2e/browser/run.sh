#!/usr/bin/env bash
# Starts codestatsd (web, ingest, channels) on ephemeral ports with a fresh var dir, installs the pinned
# npm packages (playwright-core) and runs the browser tests with node's test runner in
# headless Debian chromium. Screenshots are kept in BUILD_DIR/e2e-browser/screenshots.
#   run.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
work="$build/e2e-browser"
[ -x /usr/bin/chromium ] || { echo "browser e2e: /usr/bin/chromium missing (scripts/deps.sh --test installs it)" >&2; exit 1; }
mkdir -p "$work/screenshots"
rm -f "$work"/screenshots/*.png
cp "$here/package.json" "$here/package-lock.json" "$here"/*.test.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

var="$(mktemp -d)"
pid=""
cleanup() {
  local host_rc=0
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || host_rc=$?; fi
  [ "${rc:-1}" = 0 ] && [ "$host_rc" = 0 ] ||
    { echo "---- host log (host exit status $host_rc)" >&2; tail -n 50 "$var/host.log" >&2 || true; }
  rm -rf "$var"
  [ "$host_rc" = 0 ] || exit "$host_rc"
}
trap cleanup EXIT
"$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 \
  --set modules=web,ingest,channels --set module_dir="$build/modules" >"$var/host.log" 2>&1 &
pid=$!
for _ in $(seq 150); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
[ -f "$var/codestatsd.ports" ] || { echo "codestatsd did not start" >&2; exit 1; }
export CODESTATS_HTTP_PORT="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
export CODESTATS_SCREENSHOTS="$work/screenshots"
cd "$work"
rc=0
node --test ./*.test.mjs || rc=$?
echo "browser e2e: screenshots in $work/screenshots"
exit "$rc"
