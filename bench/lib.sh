# Shared by the bench scripts that run codestatsd on a synthetic data set (cache.sh,
# profile.sh). Source it after setting `build` (the build directory) and `backend`
# (sqlite|postgres) and, for postgres, `pgport`.
#
# bench_db_setup VAR_DIR: sets db (host --set arguments) and target (cache_dataset
#   arguments); starts a throwaway PostgreSQL for backend=postgres.
# run_host VAR_DIR extra-args...: starts codestatsd in the background; sets pid and port.
# stop_host: stops it and forgets its ports file.
# load LABEL: prints the load averages (other work on the machine skews every figure).

bench_db_setup() {
  db=()
  if [ "$backend" = postgres ]; then
    . scripts/pgtest.sh
    pgtest_start "$pgport" >/dev/null
    db=(--set db.backend=postgres --set "db.postgres.conninfo=$PGTEST_URI")
    target=(--postgres "$PGTEST_URI")
  else
    target=(--sqlite "$1/codestats.db")
  fi
}

run_host() {
  local dir="$1"; shift
  "$build/bin/codestatsd" --set var_dir="$dir" --set http.port=0 --set admin.port=0 "${db[@]}" "$@" \
    >>"$dir/host.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do [ -f "$dir/codestatsd.ports" ] && break; sleep 0.05; done
  port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$dir/codestatsd.ports")"
  host_var="$dir"
}

stop_host() {
  [ -n "${pid:-}" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$host_var/codestatsd.ports"
}

load() { echo "load: $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }
