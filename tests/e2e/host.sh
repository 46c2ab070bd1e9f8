# Shared by the e2e run.sh scripts (source it): starts codestatsd on ephemeral ports with a
# fresh var dir and stops it on exit.
#   e2e_start_host BUILD_DIR MODULES NAME [ARGS...]  # NAME labels a kept sanitizer log; ARGS
#                                                    # go to codestatsd (e.g. --set k=v)
# Exports CODESTATS_HTTP_PORT, CODESTATS_ADMIN_PORT, CODESTATS_ADMIN_TOKEN. The caller sets
# `rc` to the test runner's status before exiting; on failure the host log's tail is shown.
# Sanitizer builds: a host log with a sanitizer report is copied to
# CODESTATS_SANITIZER_LOG_DIR (see tests/support/host_process.cpp), since the log is deleted.
# The database is SQLite in the var dir; with CODESTATS_E2E_BACKEND=postgres it is a fresh
# schema in PGTEST_URI's database (scripts/pgtest.sh), dropped on exit, so a test that uses
# this runs on either backend: `CODESTATS_E2E_BACKEND=postgres ctest -R web_browser_e2e`.
e2e_var=""
e2e_pid=""
e2e_name=""
e2e_schema=""

_e2e_cleanup() {
  # (the host's exit status is kept: under set -e a failing `wait` used to end this trap early)
  local host_rc=0
  if [ -n "$e2e_pid" ] && kill "$e2e_pid" 2>/dev/null; then wait "$e2e_pid" 2>/dev/null || host_rc=$?; fi
  if [ -n "${CODESTATS_SANITIZER_LOG_DIR:-}" ] &&
      grep -qE 'runtime error:|ERROR: (Address|Leak)Sanitizer|SUMMARY: (Address|UndefinedBehavior)Sanitizer' "$e2e_var/host.log" 2>/dev/null; then
    mkdir -p "$CODESTATS_SANITIZER_LOG_DIR"
    cp "$e2e_var/host.log" "$CODESTATS_SANITIZER_LOG_DIR/$e2e_name-host.$$.log"
    echo "sanitizer report in the host log, kept in $CODESTATS_SANITIZER_LOG_DIR" >&2
  fi
  [ "${rc:-1}" = 0 ] && [ "$host_rc" = 0 ] ||
    { echo "---- host log (host exit status $host_rc)" >&2; tail -n 50 "$e2e_var/host.log" >&2 || true; }
  rm -rf "$e2e_var"
  if [ -n "$e2e_schema" ]; then
    psql "$PGTEST_URI" -X -q -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS $e2e_schema CASCADE" \
      >/dev/null || true
  fi
  [ "$host_rc" = 0 ] || exit "$host_rc"
}

e2e_start_host() {
  local build="$1" modules="$2"
  e2e_name="$3"
  e2e_var="$(mktemp -d)"
  trap _e2e_cleanup EXIT
  local db=()
  case "${CODESTATS_E2E_BACKEND:-sqlite}" in
    sqlite) ;;
    postgres)
      [ -n "${PGTEST_URI:-}" ] || { echo "CODESTATS_E2E_BACKEND=postgres needs PGTEST_URI (scripts/pgtest.sh)" >&2; exit 1; }
      e2e_schema="e2e_${e2e_name//[^a-z0-9]/_}_$$"
      psql "$PGTEST_URI" -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $e2e_schema" >/dev/null
      db=(--set db.backend=postgres
        --set "db.postgres.conninfo=$PGTEST_URI options='-csearch_path=$e2e_schema -cTimeZone=UTC'")
      ;;
    *) echo "CODESTATS_E2E_BACKEND: sqlite or postgres, not '$CODESTATS_E2E_BACKEND'" >&2; exit 1 ;;
  esac
  "$build/bin/codestatsd" --set var_dir="$e2e_var" --set http.port=0 --set admin.port=0 \
    --set modules="$modules" --set module_dir="$build/modules" "${db[@]}" "${@:4}" >"$e2e_var/host.log" 2>&1 &
  e2e_pid=$!
  # up to 60 s: only a stuck start fails, not a slow (sanitizer, busy) one
  for _ in $(seq 600); do [ -f "$e2e_var/codestatsd.ports" ] && break; sleep 0.1; done
  [ -f "$e2e_var/codestatsd.ports" ] || { echo "codestatsd did not start" >&2; exit 1; }
  CODESTATS_HTTP_PORT="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$e2e_var/codestatsd.ports")"
  CODESTATS_ADMIN_PORT="$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$e2e_var/codestatsd.ports")"
  CODESTATS_ADMIN_TOKEN="$(cat "$e2e_var/admin.token")"
  export CODESTATS_HTTP_PORT CODESTATS_ADMIN_PORT CODESTATS_ADMIN_TOKEN
}
