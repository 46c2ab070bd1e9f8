#!/usr/bin/env bash
# Import rate of `codestatsctl import-codestats` (issue 18): an original Code::Stats
# database generated on a throwaway PostgreSQL (tests/fixtures/codestats_original,
# USERS users, PULSES pulses, ~2 xps each) imported into a fresh codestatsd on each
# backend, then a delta import of DELTA pulses added to the original afterwards.
#   bench/import.sh [sqlite|postgres|both]    (default both)
#   USERS=10000 PULSES=1000000 DELTA=10000 DELTA_USERS=USERS PGPORT=55434 BUILD_DIR=build
# (DELTA_USERS: how many users the delta's pulses belong to; the last minutes before a
# switch-over touch a few hundred, not all)
# Prints pulses/s of the full import with the CLI's time per stage, the seconds of the delta
# import and of a run with nothing new. The original and the target share the PostgreSQL
# server (two databases) for the postgres run.
#   ROUNDS=N [BASE=DIR]: N rounds per backend on the same original, each round BASE's build
#   (another build directory, e.g. of the commit before a change) then BUILD_DIR's, with the
#   medians of the whole run, the delta and the run with nothing new per build at the end
#   (this VM's speed drifts by tens of percent within minutes: compare interleaved rounds).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${BUILD_DIR:-build}" base="${BASE:-}" rounds="${ROUNDS:-1}"
results="$(mktemp /tmp/bench-import-results.XXXXXX)"
users="${USERS:-10000}" pulses="${PULSES:-1000000}" delta="${DELTA:-10000}"
delta_users="${DELTA_USERS:-$users}"
which="${1:-both}"
fixtures=tests/fixtures/codestats_original
. scripts/pgtest.sh
pgtest_start "${PGPORT:-55434}" >/dev/null
trap 'pgtest_stop >/dev/null 2>&1 || true' EXIT
pg() { PGPASSWORD=app psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" "$@"; }

setup_original() {
  pg -U postgres -d app -c "DROP DATABASE IF EXISTS original" -c "CREATE DATABASE original OWNER app" >/dev/null
  pg -U app -d original -f "$fixtures/schema.sql" >/dev/null
  local t0=$SECONDS
  pg -U app -d original -v users="$users" -v pulses="$pulses" -f "$fixtures/generate.sql" >/dev/null
  pg -U app -d original -c "ANALYZE pulses; ANALYZE xps; ANALYZE users; ANALYZE machines" >/dev/null
  echo "original: $users users, $pulses pulses generated in $((SECONDS - t0)) s"
}

add_delta() {  # DELTA more pulses (1 xps each) after the last, received now
  pg -U app -d original -c "
    INSERT INTO pulses (id, sent_at, sent_at_local, tz_offset, user_id, machine_id, inserted_at, updated_at)
    SELECT $pulses + g, now()::timestamp, now()::timestamp, 0, 1 + g % $delta_users, (g % $delta_users) * 3 + 1, now(), now()
    FROM generate_series(1, $delta) g;
    INSERT INTO xps (amount, pulse_id, language_id, original_language_id, inserted_at, updated_at)
    SELECT 10, $pulses + g, 1, 1, now(), now() FROM generate_series(1, $delta) g;" >/dev/null
}

run() {
  local backend="$1" build="$2" dir db=() full_s delta_s again_s
  echo "-- $backend, $build (load $(cut -d' ' -f1-3 /proc/loadavg))"
  dir="$(mktemp -d /tmp/bench-import.XXXXXX)"
  if [ "$backend" = postgres ]; then
    pg -U postgres -d app -c "DROP DATABASE IF EXISTS target" -c "CREATE DATABASE target OWNER app" >/dev/null
    db=(--set db.backend=postgres --set "db.postgres.conninfo=host=127.0.0.1 port=$PGPORT user=app password=app dbname=target")
  fi
  "$build/bin/codestatsd" --set var_dir="$dir" --set http.port=0 --set admin.port=0 --set module_dir="$build/modules" \
    --set secret_key_base="$(printf 'x%.0s' $(seq 64))" "${db[@]}" >"$dir/host.log" 2>&1 &
  local pid=$!
  for _ in $(seq 300); do [ -f "$dir/codestatsd.ports" ] && break; sleep 0.05; done
  local src="host=127.0.0.1 port=$PGPORT user=app password=app dbname=original" t0 t1
  t0=$(date +%s.%N)
  "$build/bin/codestatsctl" --var-dir "$dir" import-codestats "$src" >"$dir/import.out"
  t1=$(date +%s.%N)
  grep -E "^(users|pulses|aggregates|cache):|done in|pulses  |time  " "$dir/import.out" | sed "s/^/  $backend: /"
  full_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  awk -v s="$full_s" -v n="$pulses" -v be="$backend" \
    'BEGIN { printf "%s: full import %.1f s, %.0f pulses/s (the whole run: accounts, pulses, aggregates, cache)\n", be, s, n / s }'
  add_delta
  t0=$(date +%s.%N)
  "$build/bin/codestatsctl" --var-dir "$dir" import-codestats "$src" >"$dir/delta.out"
  t1=$(date +%s.%N)
  grep -E "pulses  |time  " "$dir/delta.out" | sed "s/^/  $backend delta: /"
  delta_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  echo "$backend: delta import of $delta pulses $delta_s s"
  t0=$(date +%s.%N)
  "$build/bin/codestatsctl" --var-dir "$dir" import-codestats "$src" >"$dir/again.out"
  t1=$(date +%s.%N)
  again_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  echo "$backend: a run with nothing new $again_s s"
  echo "$backend $build $full_s $delta_s $again_s" >>"$results"
  "$build/bin/codestatsctl" --var-dir "$dir" import-codestats "$src" --verify | head -3 | sed "s/^/  $backend: /"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
  pg -U app -d original -c "DELETE FROM xps WHERE pulse_id > $pulses; DELETE FROM pulses WHERE id > $pulses" >/dev/null
}

medians() {  # per backend and build: the medians of the rounds
  sort -k1,2 -k3n "$results" | awk -v n="$pulses" '
    { key = $1 " " $2; full[key, ++c[key]] = $3; delta[key, c[key]] = $4; again[key, c[key]] = $5 }
    function med(a, k, m,   i, v, t, j) {
      for (i = 1; i <= m; i++) v[i] = a[k, i]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
      return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    END { for (k in c) printf "median of %d: %s: full import %.1f s (%.0f pulses/s), delta %.1f s, nothing new %.1f s\n",
            c[k], k, med(full, k, c[k]), n / med(full, k, c[k]), med(delta, k, c[k]), med(again, k, c[k]) }'
}

setup_original
for backend in sqlite postgres; do
  [ "$which" = both ] || [ "$which" = "$backend" ] || continue
  for _ in $(seq "$rounds"); do
    [ -z "$base" ] || run "$backend" "$base"
    run "$backend" "$build"
  done
done
[ "$rounds" = 1 ] && [ -z "$base" ] || medians
rm -f "$results"
