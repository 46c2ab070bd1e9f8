#!/usr/bin/env bash
# Three codestatsd hosts (web, ingest, channels, cache) on one PostgreSQL database behind a
# real nginx that runs deploy/nginx/codestatsd-upstream.conf (TLS and port 80 taken out):
#   1. setup.mjs signs a user up and adds a machine through nginx;
#   2. live.test.mjs: live updates from every host to every host's clients, and every host's
#      /api/users/<name> agreeing with the database;
#   3. rolling restarts under load: load.mjs posts pulses through nginx while host 1, 2, 3
#      get SIGTERM, exit and start again on the same port and var dir, first drained as
#      docs/deployment.md says (out of nginx's upstream before SIGTERM), then by SIGTERM
#      alone; restart.test.mjs then checks for failed requests, lost or doubled pulses and
#      agreement.
# PostgreSQL comes from PGTEST_URI (a key=value conninfo) or PGHOST, PGPORT, ...
# (scripts/pgtest.sh): a fresh database (or, for a role without CREATEDB, a fresh schema)
# dropped at the end, so that tests running in parallel do not meet. Without it the test
# is skipped (exit 77), or fails when CI=true.
#   run.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/../../.." && pwd)"
build="$(cd "$1" && pwd)"

if [ -z "${PGTEST_URI:-}" ] && [ -z "${PGHOST:-}" ]; then
  if [ "${CI:-}" = true ]; then
    echo "FAIL: the multihost e2e test needs PostgreSQL: set PGTEST_URI (scripts/pgtest.sh)" >&2
    exit 1
  fi
  echo "skip: the multihost e2e test needs PostgreSQL (PGTEST_URI or PGHOST; scripts/pgtest.sh)"
  exit 77
fi
for tool in nginx psql node npm; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps.sh --test)" >&2; exit 1; }
done

work="$build/e2e-multihost"
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

run="$(mktemp -d)"
chmod 755 "$run"  # nginx's workers run as nobody when the test runs as root
base="${PGTEST_URI:-}"
db=""
schema=""
nginx_pid=""
load_pid=""
declare -a host_pid=() http_port=()
rc=0

psql_base() { psql "$base" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_postgres() { psql "$base dbname=postgres" -X -q -v ON_ERROR_STOP=1 "$@"; }

stop_host() {  # i: SIGTERM, and the exit status (0 when it was not running)
  local i="$1" status=0
  if [ -n "${host_pid[$i]:-}" ]; then
    kill -TERM "${host_pid[$i]}" 2>/dev/null || true
    wait "${host_pid[$i]}" || status=$?
    host_pid[$i]=""
  fi
  return "$status"
}

cleanup() {
  local i
  [ -z "$load_pid" ] || { kill -TERM "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; }
  for i in 1 2 3; do stop_host "$i" || true; done
  [ -z "$nginx_pid" ] || { kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
  if [ "$rc" != 0 ]; then
    for i in 1 2 3; do
      echo "---- host $i log (last 40 lines)" >&2
      tail -n 40 "$run/host$i/host.log" >&2 2>/dev/null || true
    done
    echo "---- nginx error log (last 40 lines)" >&2
    tail -n 40 "$run/nginx/error.log" >&2 2>/dev/null || true
  fi
  # Kept for a look after the run (the next run replaces them).
  rm -rf "$work/logs"
  mkdir -p "$work/logs"
  for i in 1 2 3; do cp "$run/host$i/host.log" "$work/logs/host$i.log" 2>/dev/null || true; done
  cp "$run/nginx/access.log" "$run/nginx/error.log" "$run/nginx/site.conf" "$run"/*.json "$work/logs/" 2>/dev/null || true
  echo "multihost: logs, nginx's access log and the load's answers kept in $work/logs" >&2
  if [ -n "$db" ]; then psql_postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; fi
  if [ -n "$schema" ]; then psql_base -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true; fi
  rm -rf "$run"
}
trap 'last=$?; [ "$rc" != 0 ] || rc=$last; cleanup; exit "$rc"' EXIT
trap 'exit 143' TERM INT  # (ctest's timeout): the EXIT trap still stops hosts and nginx

# A database of our own if the role may create one (NOTIFY, which the event log uses, is
# per database), else a schema of our own in the given database.
name="multihost_$$_$RANDOM"
if [ "$(psql_base -A -t -c "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")" = t ]; then
  psql_postgres -c "CREATE DATABASE $name"
  db="$name"
  conninfo="$base dbname=$db"
else
  psql_base -c "CREATE SCHEMA $name"
  schema="$name"
  conninfo="$base options='-csearch_path=$schema'"
fi

# Fixed ports, picked free up front: a restarted host must come back on its own port (the
# upstream's). Below the ephemeral range (32768-60999), so that no outgoing connection
# takes a port while its host is down.
read -r -a ports <<<"$(node -e '
  const net = require("net");
  const taken = new Set([25432]);
  (async () => {
    const out = [];
    while (out.length < 4) {
      const p = 20000 + Math.floor(Math.random() * 12000);
      if (taken.has(p)) continue;
      taken.add(p);
      const ok = await new Promise((res) => {
        const s = net.createServer().once("error", () => res(false)).listen(p, "127.0.0.1", () => s.close(() => res(true)));
      });
      if (ok) out.push(p);
    }
    console.log(out.join(" "));
  })();')"
http_port=("" "${ports[0]}" "${ports[1]}" "${ports[2]}")
nginx_port="${ports[3]}"

# The same secret_key_base on every host: a machine token one host signed is valid on all.
CODESTATSD_SECRET_KEY_BASE="$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
export CODESTATSD_SECRET_KEY_BASE

# The cache's refresher (one user rebuilt from the pulses table every 10 s) is turned off:
# with one user it would hide a missing cross-host update within the tests' waits.
start_host() {  # i: starts host i on its port and var dir, waits until it serves
  local i="$1" dir="$run/host$i"
  mkdir -p "$dir"
  rm -f "$dir/codestatsd.ports"
  "$build/bin/codestatsd" --set var_dir="$dir" --set http.port="${http_port[$i]}" --set admin.port=0 \
    --set modules=web,ingest,channels,cache --set module_dir="$build/modules" \
    --set db.backend=postgres --set "db.postgres.conninfo=$conninfo" --set db.pool_size=4 \
    --set http.trusted_proxies=127.0.0.1 --set modules.cache.refresh_interval_ms=3600000 >>"$dir/host.log" 2>&1 &
  host_pid[$i]=$!
  # up to 60 s: only a stuck start fails, not a slow (sanitizer, busy) one
  for _ in $(seq 600); do
    [ -f "$dir/codestatsd.ports" ] && return 0
    kill -0 "${host_pid[$i]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: host $i (port ${http_port[$i]}) did not start" >&2
  return 1
}

for i in 1 2 3; do start_host "$i"; done

# nginx with the shipped multi-host site: the first server (port 80, redirects) dropped, the
# TLS server listening on a free port without TLS, the upstream pointing at the three hosts
# (host DOWN marked "down", as docs/deployment.md drains a host), and an access log with the
# host that answered (also sent as X-Upstream-Addr).
mkdir -p "$run/nginx"
write_site() {  # [DOWN]
  local i servers=""
  for i in 1 2 3; do servers+="    server 127.0.0.1:${http_port[$i]}$([ "$i" != "${1:-}" ] || echo " down");\n"; done
  awk -v servers="$servers" -v listen="127.0.0.1:$nginx_port" -v logfile="$run/nginx/access.log" '
    /^server \{/ && ++blocks == 1 { skip = 1 }
    skip { if ($0 ~ /^\}/) skip = 0; next }
    /^[ \t]*server 127\.0\.0\.[0-9]+:8080/ { if (!done) printf "%s", servers; done = 1; next }
    /listen 443 ssl/ { print "    listen " listen ";"; next }
    /listen \[::\]:443/ || /^[ \t]*ssl_/ { next }
    /^[ \t]*server_name/ { print; print "    access_log " logfile " multihost;"; print "    add_header X-Upstream-Addr $upstream_addr always;"; next }
    { print }
  ' "$src/deploy/nginx/codestatsd-upstream.conf" >"$run/nginx/site.conf"
}
write_site
cat >"$run/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $run/nginx/nginx.pid;
error_log $run/nginx/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    log_format multihost '\$msec|\$status|\$request_method|\$uri|\$upstream_addr|\$upstream_status|\$request_time';
    client_body_temp_path $run/nginx/body;
    proxy_temp_path $run/nginx/proxy;
    fastcgi_temp_path $run/nginx/fastcgi;
    uwsgi_temp_path $run/nginx/uwsgi;
    scgi_temp_path $run/nginx/scgi;
    include $run/nginx/site.conf;
}
CONF
nginx -p "$run/nginx" -c "$run/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || { echo "FAIL: nginx did not start" >&2; nginx_pid=""; exit 1; }
  sleep 0.1
done

# nginx -s reload: new workers with the new site; the old ones finish the requests they
# have and exit (waited for, up to 30 s).
reload_nginx() {
  local old
  old="$(pgrep -P "$nginx_pid" | tr '\n' ' ')"
  kill -HUP "$nginx_pid"
  for _ in $(seq 300); do
    local alive=0 w
    for w in $old; do kill -0 "$w" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  echo "multihost: nginx's old workers still run 30 s after the reload" >&2
}

export MH_HOSTS="${http_port[1]},${http_port[2]},${http_port[3]}" MH_NGINX="$nginx_port" MH_CONNINFO="$conninfo"
export MH_STATE="$run/state.json" MH_LOAD_RESULT="$run/load.json" MH_RESTARTS="$run/restarts.json"
cd "$work"
echo "multihost: hosts on ports $MH_HOSTS, nginx on $nginx_port, database ${db:-schema $schema}"

node setup.mjs
node --test live.test.mjs || rc=$?

# Rolling restarts under load, twice: first as docs/deployment.md drains a host (out of the
# upstream and nginx reloaded before SIGTERM), then by SIGTERM alone, where nginx finds out
# by failing to reach the host. Before the next host stops, nginx must be sending requests
# to the restarted one again (after a failure it skips a host for fail_timeout, 10 s):
# otherwise two hosts could be out of the upstream at once.
now_ms() { date +%s%3N; }
served_since() {  # i ms: a 2xx answer from host i logged by nginx after ms
  awk -F'|' -v t="$2" -v a="127.0.0.1:${http_port[$1]}" \
    '$1 * 1000 >= t && $2 ~ /^2/ && index($5, a) { found = 1 } END { exit !found }' "$run/nginx/access.log"
}
restarts="["
restart_host() {  # i mode drained_ms: SIGTERM, wait for the exit, start on the same port
  local i="$1" term exited ready=0 status=0
  term=$(now_ms)
  stop_host "$i" || status=$?
  exited=$(now_ms)
  if start_host "$i"; then ready=$(now_ms); fi
  restarts+="{\"mode\":\"$2\",\"host\":$i,\"status\":$status,\"drained\":$3,\"term\":$term,\"exited\":$exited,\"ready\":$ready},"
  echo "multihost: $2 restart: host $i exited with status $status $((exited - term)) ms after SIGTERM, serving again after $((ready ? ready - exited : -1)) ms"
  restarted=$exited
}
back_in_upstream() {  # i: until nginx sends requests to host i again (up to 30 s), then 1 s more
  for _ in $(seq 300); do
    served_since "$1" "$restarted" && break
    sleep 0.1
  done
  sleep 1  # some load on all three before the next one
}
node load.mjs &
load_pid=$!
sleep 2
for i in 1 2 3; do
  write_site "$i"
  reload_nginx
  restart_host "$i" drained "$(now_ms)"
  write_site
  reload_nginx
  back_in_upstream "$i"
done
for i in 1 2 3; do
  restart_host "$i" sigterm 0
  back_in_upstream "$i"
done
echo "${restarts%,}]" >"$MH_RESTARTS"
kill -TERM "$load_pid"
wait "$load_pid"
load_pid=""
node --test restart.test.mjs || rc=$?
exit "$rc"
