# A throwaway PostgreSQL cluster for tests and benchmarks. Source it, do not run it:
#
#   . scripts/pgtest.sh
#   pgtest_start [PORT]      # default 55432; exports PGTEST_URI (and PGHOST, PGPORT, ...)
#   trap pgtest_stop EXIT    # optional
#   ... run tests ...
#   pgtest_stop              # stops the server and deletes the cluster
#
# The server runs with fsync, synchronous_commit and full_page_writes off, which is fine
# for tests only. PGTEST_DURABLE=1 keeps PostgreSQL's default durability (benchmarks).
# Authentication is trust: any password is accepted. As root, the server runs as the
# user postgres (initdb refuses root).

_pgtest_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

# Runs a command as the cluster owner, from a directory that user can read.
_pgtest_as() {
  if [ "$(id -u)" = 0 ]; then
    (cd "$PGTEST_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$PGTEST_DIR" && "$@")
  fi
}

pgtest_start() {
  local port="${1:-55432}" bin fast=""
  if [ -n "${PGTEST_DIR:-}" ] && [ -d "$PGTEST_DIR" ]; then
    echo "pgtest: a cluster is already running in $PGTEST_DIR (pgtest_stop first)" >&2
    return 1
  fi
  bin="$(_pgtest_bin)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pgtest: PostgreSQL server not installed (apt-get install -y postgresql)" >&2
    return 1
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres || return 1
  fi

  PGTEST_DIR="$(mktemp -d /tmp/pgtest.XXXXXX)" || return 1
  export PGTEST_DIR
  chmod 700 "$PGTEST_DIR"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGTEST_DIR" || { _pgtest_cleanup; return 1; }; fi

  if ! _pgtest_as "$bin/initdb" -D "$PGTEST_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$PGTEST_DIR/initdb.log" 2>&1; then
    cat "$PGTEST_DIR/initdb.log" >&2
    _pgtest_cleanup
    return 1
  fi

  if [ "${PGTEST_DURABLE:-0}" != 1 ]; then
    fast="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  # The socket lives in the temp dir: no clash with a system cluster's /var/run/postgresql.
  if ! _pgtest_as "$bin/pg_ctl" -D "$PGTEST_DIR/data" -l "$PGTEST_DIR/server.log" -w -t 30 \
      -o "-k $PGTEST_DIR -p $port -c listen_addresses=127.0.0.1 -c timezone=UTC $fast" start >/dev/null; then
    cat "$PGTEST_DIR/server.log" >&2
    _pgtest_cleanup
    return 1
  fi

  if ! "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -c "CREATE ROLE app LOGIN PASSWORD 'app'" -c "CREATE DATABASE app OWNER app"; then
    pgtest_stop
    return 1
  fi

  export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=app PGPASSWORD=app PGDATABASE=app
  export PGTEST_URI="host=127.0.0.1 port=$port user=app password=app dbname=app"
}

_pgtest_cleanup() {
  rm -rf "$PGTEST_DIR"
  unset PGTEST_DIR
}

pgtest_stop() {
  if [ -z "${PGTEST_DIR:-}" ] || [ ! -d "$PGTEST_DIR" ]; then
    return 0
  fi
  if [ -f "$PGTEST_DIR/data/postmaster.pid" ]; then
    _pgtest_as "$(_pgtest_bin)/pg_ctl" -D "$PGTEST_DIR/data" -m immediate -w stop >/dev/null 2>&1
  fi
  _pgtest_cleanup
  unset PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGTEST_URI
}
