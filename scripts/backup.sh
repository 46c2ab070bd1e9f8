#!/usr/bin/env bash
# Consistent online backup of the codestatsd database, with retention. Safe while
# codestatsd runs: SQLite through its online backup API (the sqlite3 CLI's .backup),
# PostgreSQL through pg_dump (one snapshot). A backup appears under its final name only
# once it is complete and checked.
#
#   scripts/backup.sh [--dest DIR] [--keep N] [--backend sqlite|postgres]
#                     [--sqlite PATH] [--conninfo CONNINFO] [--pg-schema NAME]
#
# Defaults come from the environment codestatsd itself reads (the systemd unit's
# EnvironmentFile, see deploy/), so the timer needs no arguments:
#   --backend   $CODESTATSD_DB__BACKEND, else sqlite
#   --sqlite    $CODESTATSD_DB__SQLITE__PATH, else ${CODESTATSD_VAR_DIR:-/var/lib/codestatsd}/codestats.db
#   --conninfo  $CODESTATSD_DB__POSTGRES__CONNINFO (libpq key=value)
#   --dest      /var/backups/codestatsd
#   --keep      14 (newest backups kept; older ones of the same backend are deleted)
# Prints the path of the new backup. Restore with scripts/restore.sh.
set -euo pipefail

backend="${CODESTATSD_DB__BACKEND:-sqlite}"
sqlite_path="${CODESTATSD_DB__SQLITE__PATH:-${CODESTATSD_VAR_DIR:-/var/lib/codestatsd}/codestats.db}"
conninfo="${CODESTATSD_DB__POSTGRES__CONNINFO:-}"
dest="/var/backups/codestatsd"
keep=14
pg_schema=""

die() { echo "backup: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest="${2:?}"; shift 2 ;;
    --keep) keep="${2:?}"; shift 2 ;;
    --backend) backend="${2:?}"; shift 2 ;;
    --sqlite) sqlite_path="${2:?}"; shift 2 ;;
    --conninfo) conninfo="${2:?}"; shift 2 ;;
    --pg-schema) pg_schema="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$keep" =~ ^[1-9][0-9]*$ ]] || die "--keep must be a positive integer, got '$keep'"

umask 077  # backups hold password hashes and e-mail addresses
mkdir -p "$dest"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"

case "$backend" in
  sqlite)
    command -v sqlite3 >/dev/null || die "sqlite3 not installed (apt-get install sqlite3)"
    [ -f "$sqlite_path" ] || die "no SQLite database at $sqlite_path"
    final="$dest/codestats-sqlite-$stamp.db.gz"
    tmp="$(mktemp "$dest/.codestats-sqlite-$stamp.XXXXXX")"
    trap 'rm -f "$tmp" "$tmp.db"' EXIT
    # .backup copies page by page under SQLite's locking: a consistent snapshot even
    # while codestatsd writes (WAL mode). busy_timeout rides out short write locks.
    sqlite3 "$sqlite_path" ".timeout 10000" ".backup '$tmp.db'"
    check="$(sqlite3 "$tmp.db" "PRAGMA integrity_check")"
    [ "$check" = ok ] || die "integrity check of the copy failed: $check"
    gzip -c "$tmp.db" >"$tmp"
    rm -f "$tmp.db"
    pattern="codestats-sqlite-*.db.gz"
    ;;
  postgres)
    command -v pg_dump >/dev/null || die "pg_dump not installed (apt-get install postgresql-client)"
    [ -n "$conninfo" ] || die "no PostgreSQL conninfo (--conninfo or CODESTATSD_DB__POSTGRES__CONNINFO)"
    final="$dest/codestats-postgres-$stamp.pgdump"
    tmp="$(mktemp "$dest/.codestats-postgres-$stamp.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    schema_args=()
    [ -z "$pg_schema" ] || schema_args=(--schema "$pg_schema")
    # Custom format: compressed, restorable table by table with pg_restore.
    pg_dump --format=custom --no-owner --no-privileges "${schema_args[@]}" --file "$tmp" --dbname "$conninfo"
    pg_restore --list "$tmp" >/dev/null || die "pg_restore cannot read the dump"
    pattern="codestats-postgres-*.pgdump"
    ;;
  *) die "unknown backend '$backend' (sqlite or postgres)" ;;
esac

sync "$tmp" 2>/dev/null || true
mv "$tmp" "$final"
trap - EXIT

# Retention: the newest $keep backups of this backend stay (names sort by time).
mapfile -t old < <(cd "$dest" && ls -1 $pattern 2>/dev/null | sort -r | tail -n +"$((keep + 1))")
for f in "${old[@]}"; do rm -f "$dest/$f"; done
echo "$final"
