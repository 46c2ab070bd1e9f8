#!/usr/bin/env bash
# Durable ingest throughput and latency (issue 3 budgets): build/bin/ingest_bench against
# codestatsd with web,ingest, on SQLite (synchronous=FULL) and on a PostgreSQL with default
# durability (PGTEST_DURABLE=1: fsync and synchronous_commit on), then pgbench running the
# equivalent per-pulse transaction (pulse row, 3 xps rows, 5 aggregate upserts) on the same
# server with as many clients, for the ratio. Budgets: SQLite >= 20k pulses/s; PostgreSQL
# >= 1.5x pgbench; p99 < 50 ms. The load generator runs its CONNECTIONS keep-alive
# connections from CLIENT_THREADS (default 1) epoll loops with pre-built requests, so that
# it takes little of the CPU it shares with the server (bench/README.md).
#   [CLIENT_THREADS=1] bench/ingest.sh [SECONDS] [CONNECTIONS] [USERS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}" conns="${2:-64}" users="${3:-1000}" cthreads="${CLIENT_THREADS:-1}"
build="${BUILD_DIR:-build}"
cmake --build "$build" --target ingest_bench >/dev/null  # not in the default build
pgport="${PGBENCH_PORT:-55460}"
fail=0

run_host() {  # VAR_DIR extra-args... -> starts codestatsd, sets pid/port/aport/atoken
  local var="$1"; shift
  "$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 --set log.level=warn \
    --set modules=web,ingest "$@" >"$var/host.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
  port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
  aport="$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$var/codestatsd.ports")"
  atoken="$(cat "$var/admin.token")"
}
stop_host() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
# From the result line only (ingest_bench also prints a "phases:" line).
field() { grep -m1 '^pulses=' <<<"$2" | sed -E "s/.* $1=([0-9.]+).*/\1/"; }
# The 1-minute load average, printed with every figure: other work on the machine skews them.
load() { echo "load: $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }

var="$(mktemp -d)"
trap 'stop_host; rm -rf "$var"; [ -n "${PGTEST_DIR:-}" ] && pgtest_stop >/dev/null 2>&1 || true' EXIT

echo "== SQLite (synchronous=FULL, WAL)"
load "start"
run_host "$var"
out="$("$build/bin/ingest_bench" --port "$port" --admin-port "$aport" --admin-token "$atoken" \
  --users "$users" --connections "$conns" --seconds "$secs" --client-threads "$cthreads")" || fail=1
echo "$out"
stop_host
sq_rate="$(field pulses_per_s "$out")" sq_p99="$(field p99_ms "$out")"
awk -v r="$sq_rate" 'BEGIN {exit !(r >= 20000)}' || { echo "SQLite below 20k pulses/s"; fail=1; }
awk -v p="$sq_p99" 'BEGIN {exit !(p < 50)}' || { echo "SQLite p99 over 50 ms"; fail=1; }

load "SQLite done"
echo "== PostgreSQL (default durability)"
. scripts/pgtest.sh
PGTEST_DURABLE=1 pgtest_start "$pgport" >/dev/null
rm -rf "$var"/*
run_host "$var" --set db.backend=postgres --set "db.postgres.conninfo=$PGTEST_URI"
out="$("$build/bin/ingest_bench" --port "$port" --admin-port "$aport" --admin-token "$atoken" \
  --users "$users" --connections "$conns" --seconds "$secs" --client-threads "$cthreads")" || fail=1
echo "$out"
stop_host
pg_rate="$(field pulses_per_s "$out")" pg_p99="$(field p99_ms "$out")"
awk -v p="$pg_p99" 'BEGIN {exit !(p < 50)}' || { echo "PostgreSQL p99 over 50 ms"; fail=1; }

# The same per-pulse transaction, one pulse per transaction, on the tables ingest created.
cat >"$var/pulse.sql" <<'SQL'
\set u random(1, 1000)
\set m random(1, 2000)
\set l1 random(1, 16)
\set l2 random(1, 16)
\set l3 random(1, 16)
\set h random(0, 23)
BEGIN;
INSERT INTO pulses (user_id, machine_id, sent_at, sent_at_local, tz_offset, local_day, local_hour, inserted_at) VALUES (:u, :m, 1795700000000, 1795707200000, 120, 20261126, :h, 1795700000000) RETURNING id \gset
INSERT INTO xps (pulse_id, language_id, original_language_id, amount) VALUES (:id, :l1, :l1, 10);
INSERT INTO xps (pulse_id, language_id, original_language_id, amount) VALUES (:id, :l2, :l2, 20);
INSERT INTO xps (pulse_id, language_id, original_language_id, amount) VALUES (:id, :l3, :l3, 30);
INSERT INTO user_language_xps (user_id, language_id, xp) VALUES (:u, :l1, 60) ON CONFLICT (user_id, language_id) DO UPDATE SET xp = user_language_xps.xp + excluded.xp;
INSERT INTO user_machine_xps (user_id, machine_id, xp) VALUES (:u, :m, 60) ON CONFLICT (user_id, machine_id) DO UPDATE SET xp = user_machine_xps.xp + excluded.xp;
INSERT INTO user_day_xps (user_id, day, xp) VALUES (:u, 20261126, 60) ON CONFLICT (user_id, day) DO UPDATE SET xp = user_day_xps.xp + excluded.xp;
INSERT INTO user_hour_xps (user_id, hour, xp) VALUES (:u, :h, 60) ON CONFLICT (user_id, hour) DO UPDATE SET xp = user_hour_xps.xp + excluded.xp;
INSERT INTO user_totals (user_id, xp, last_pulse_at) VALUES (:u, 60, 1795700000000) ON CONFLICT (user_id) DO UPDATE SET xp = user_totals.xp + excluded.xp, last_pulse_at = CASE WHEN user_totals.last_pulse_at IS NULL OR excluded.last_pulse_at > user_totals.last_pulse_at THEN excluded.last_pulse_at ELSE user_totals.last_pulse_at END;
COMMIT;
SQL
pgbench_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pgbench"
pgb="$("$pgbench_bin" -n -M prepared -c "$conns" -j 2 -T "$secs" -f "$var/pulse.sql" "$PGTEST_URI" 2>&1)"
pgb_tps="$(awk '/^tps = / {print $3; exit}' <<<"$pgb")"
echo "pgbench: clients=$conns tps=$pgb_tps"
load "end"
ratio="$(awk -v a="$pg_rate" -v b="$pgb_tps" 'BEGIN {printf "%.2f", a / b}')"
echo "PostgreSQL ingest/pgbench = $ratio (budget >= 1.5)"
awk -v r="$ratio" 'BEGIN {exit !(r >= 1.5)}' || { echo "PostgreSQL ratio under 1.5"; fail=1; }

echo "summary: sqlite ${sq_rate}/s p99 ${sq_p99} ms; postgres ${pg_rate}/s p99 ${pg_p99} ms; pgbench ${pgb_tps} tps; ratio ${ratio}"
[ "$fail" = 0 ] && echo "PASS" || { echo "OVER BUDGET"; exit 1; }
