#!/usr/bin/env bash
# sdk_out_of_tree: a third party builds a module against the INSTALLED SDK and the host runs it.
#
#   out_of_tree_test.sh BUILD_DIR SOURCE_DIR [CMAKE]
#
#   (a) cmake --install BUILD_DIR --component sdk --prefix TMP/prefix: the SDK only (headers,
#       the testing kit, the CMake package, the checker and its allowlist), no host
#   (b) configure and build SOURCE_DIR/sdk/examples/hello and its tests against TMP/prefix,
#       in TMP (outside the build tree), with only CMAKE_PREFIX_PATH pointing at the SDK
#   (b2) run the example's unit tests (hello_test, on the SDK's fake host) and ctest
#   (c) run the installed codestats-check-module on example.so
#   (d) start BUILD_DIR/bin/codestatsd with var_dir=TMP/var, ephemeral ports and no modules;
#       wait (max 15 s) for TMP/var/codestatsd.ports ({"http":N,"admin":N,"pid":N})
#   (e) codestatsctl --var-dir TMP/var load example TMP/.../example.so
#   (f) GET /example/hello must answer "Hello from a third-party module\n"
#   (g) codestatsctl --var-dir TMP/var run example.greet world must print "hello, world"
#   (h) the host is stopped and TMP removed on exit, whatever happened
#
# Exit status: 0 pass, 1 fail.
# CMAKE_GENERATOR, CXX and CMAKE_CXX_COMPILER_LAUNCHER from the environment are honoured by
# cmake itself. KEEP_TMP=1 keeps the temporary directory for debugging.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR [CMAKE]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
cmake=${3:-cmake}
example_src="$source_dir/sdk/examples/hello"
codestatsd="$build_dir/bin/codestatsd"
codestatsctl="$build_dir/bin/codestatsctl"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/codestats-sdk-oot.XXXXXX")
case "$tmp/" in
  "$build_dir"/*) echo "FAIL: temporary dir $tmp is inside the build tree" >&2; exit 1 ;;
esac
host_pid=""

host_group=""  # the host runs in its own session, so its children are stopped with it

# Sends a signal to the host (its process group when it has one).
signal_host() {
  if [ -n "$host_group" ]; then
    kill "-$1" -- "-$host_group" 2>/dev/null || kill "-$1" "$host_pid" 2>/dev/null || true
  else
    kill "-$1" "$host_pid" 2>/dev/null || true
  fi
}

cleanup() {
  local rc=$?
  if [ -n "$host_pid" ] && kill -0 "$host_pid" 2>/dev/null; then
    signal_host TERM
    for _ in $(seq 1 50); do
      kill -0 "$host_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$host_pid" 2>/dev/null; then
      echo "host did not stop on SIGTERM within 5 s; sending SIGKILL" >&2
      signal_host KILL
    fi
    wait "$host_pid" 2>/dev/null || true
  fi
  [ -z "$host_group" ] || signal_host KILL  # leftovers of the host's group, if any
  # Sanitizer builds: keep a host log with a sanitizer report (see tests/support/host_process.cpp).
  if [ -n "${CODESTATS_SANITIZER_LOG_DIR:-}" ] && [ -f "$tmp/host.log" ] &&
      grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$tmp/host.log"; then
    mkdir -p "$CODESTATS_SANITIZER_LOG_DIR"
    cp "$tmp/host.log" "$CODESTATS_SANITIZER_LOG_DIR/sdk-out-of-tree-host.$$.log"
    echo "sanitizer report in the host log, kept in $CODESTATS_SANITIZER_LOG_DIR" >&2
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$tmp/host.log" ]; then
    echo "---- host log ($tmp/host.log) ----" >&2
    tail -n 100 "$tmp/host.log" >&2 || true
  fi
  if [ "${KEEP_TMP:-0}" = 1 ]; then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "== $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# (a) install -------------------------------------------------------------------------------
prefix="$tmp/prefix"
step "(a) cmake --install $build_dir --component sdk --prefix $prefix"
"$cmake" --install "$build_dir" --component sdk --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install --component sdk failed"; }
for f in include/codestats/module_abi.h include/codestats/sdk.hpp \
         include/codestats/testing/fake_host.hpp \
         lib/cmake/CodeStatsSDK/CodeStatsSDKConfig.cmake \
         lib/cmake/CodeStatsSDK/CodeStatsSDKConfigVersion.cmake \
         lib/cmake/CodeStatsSDK/CodeStatsModule.cmake \
         bin/codestats-check-module share/codestats/needed-allowlist.txt; do
  [ -e "$prefix/$f" ] || fail "the install is missing $f"
done
[ -x "$prefix/bin/codestats-check-module" ] || fail "the installed checker is not executable"
# The SDK component is for module authors: no host, no codestatsctl, no product modules.
for f in bin/codestatsd bin/codestatsctl lib/codestatsd; do
  [ ! -e "$prefix/$f" ] || fail "the sdk component installed $f"
done
extra=$(cd "$prefix" && find . -type f | sed 's|^\./||' | grep -Ev '^(include/codestats/|lib/cmake/CodeStatsSDK/|bin/codestats-check-module$|share/codestats/needed-allowlist.txt$)' || true)
[ -z "$extra" ] || fail "the sdk component installed files outside the SDK: $extra"

# (b) build the example against the installed SDK, outside the build tree --------------------
example_build="$tmp/example-build"
step "(b) build $example_src against $prefix"
"$cmake" -S "$example_src" -B "$example_build" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log" >&2; fail "configuring the example failed"; }
sdk_dir=$(sed -n 's/^CodeStatsSDK_DIR:[A-Z]*=//p' "$example_build/CMakeCache.txt")
[ "$sdk_dir" = "$prefix/lib/cmake/CodeStatsSDK" ] ||
  fail "the example found CodeStatsSDK in '$sdk_dir', not in the installed prefix"
"$cmake" --build "$example_build" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log" >&2; fail "building the example failed"; }
example_so="$example_build/example.so"
[ -f "$example_so" ] || fail "the build did not produce $example_so"
grep -qx "ok: $example_so" "$tmp/build.log" ||
  fail "the example build did not run codestats-check-module after linking"

# (b2) the example's unit tests on the fake host ---------------------------------------------
step "(b2) $example_build/hello_test (the SDK's fake host, no codestatsd)"
[ -x "$example_build/hello_test" ] || fail "the build did not produce hello_test"
unit_out=$("$example_build/hello_test" 2>&1) || { echo "$unit_out" >&2; fail "hello_test failed"; }
echo "$unit_out"
printf '%s\n' "$unit_out" | grep -Eq '^hello_test: [1-9][0-9]* checks, 0 failed$' ||
  fail "hello_test did not report its checks: $unit_out"
ctest_bin="$(dirname "$cmake")/ctest"
[ -x "$ctest_bin" ] || ctest_bin=ctest
(cd "$example_build" && "$ctest_bin" --output-on-failure) >"$tmp/ctest.log" 2>&1 ||
  { cat "$tmp/ctest.log" >&2; fail "ctest in the example build failed"; }
grep -q "100% tests passed" "$tmp/ctest.log" || { cat "$tmp/ctest.log" >&2; fail "ctest ran no passing test"; }

# (c) the installed checker ------------------------------------------------------------------
step "(c) $prefix/bin/codestats-check-module $example_so"
check_out=$("$prefix/bin/codestats-check-module" "$example_so" 2>&1) || { echo "$check_out" >&2; fail "the checker rejected example.so"; }
echo "$check_out"
[ "$check_out" = "ok: $example_so" ] || fail "unexpected checker output: $check_out"

# (d)-(h) need the host ----------------------------------------------------------------------
if [ ! -x "$codestatsd" ] || [ ! -x "$codestatsctl" ]; then
  fail "$codestatsd or $codestatsctl is not built"
fi

# (d) start the host with no modules ---------------------------------------------------------
var_dir="$tmp/var"
mkdir -p "$var_dir"
ports_file="$var_dir/codestatsd.ports"
step "(d) start $codestatsd"
host_cmd=("$codestatsd" --set "var_dir=$var_dir" --set http.port=0 --set admin.port=0 --set modules=)
if command -v setsid >/dev/null 2>&1; then
  # A background job of this script is not a group leader, so setsid execs in place: the
  # host keeps this pid and leads a new process group.
  setsid "${host_cmd[@]}" >"$tmp/host.log" 2>&1 </dev/null &
  host_pid=$!
  host_group=$host_pid
else
  "${host_cmd[@]}" >"$tmp/host.log" 2>&1 </dev/null &
  host_pid=$!
fi

http_port=""
for _ in $(seq 1 600); do  # up to 60 s: only a stuck start fails, not a slow one
  kill -0 "$host_pid" 2>/dev/null || fail "codestatsd exited during startup"
  if [ -s "$ports_file" ]; then
    http_port=$(sed -n 's/.*"http"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$ports_file")
    [ -n "$http_port" ] && [ "$http_port" -gt 0 ] && break
    http_port=""
  fi
  sleep 0.1
done
[ -n "$http_port" ] || fail "no http port in $ports_file after 60 s"
echo "host pid $host_pid, ports: $(cat "$ports_file")"

# (e) load the example -----------------------------------------------------------------------
step "(e) codestatsctl load example $example_so"
"$codestatsctl" --var-dir "$var_dir" load example "$example_so" || fail "codestatsctl load failed"

# (f) its route ------------------------------------------------------------------------------
step "(f) GET http://127.0.0.1:$http_port/example/hello"
curl -fsS --max-time 10 -o "$tmp/body" "http://127.0.0.1:$http_port/example/hello" ||
  fail "GET /example/hello failed"
printf 'Hello from a third-party module\n' >"$tmp/expected"
cmp -s "$tmp/body" "$tmp/expected" || fail "unexpected body: $(od -c "$tmp/body" | head -n 5)"

# (g) its admin command ----------------------------------------------------------------------
step "(g) codestatsctl run example.greet world"
greet=$("$codestatsctl" --var-dir "$var_dir" run example.greet world) || fail "codestatsctl run failed"
echo "$greet"
printf '%s\n' "$greet" | grep -qx 'hello, world' || fail "expected 'hello, world', got: $greet"

echo "PASS: the installed SDK built a module that the host loaded and ran"
