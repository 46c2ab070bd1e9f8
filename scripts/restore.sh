#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into a fresh database. Stop codestatsd first
# (systemctl stop codestatsd); start it again afterwards.
#
#   scripts/restore.sh BACKUP --sqlite PATH [--force]
#       unpacks the SQLite backup to PATH (refused if PATH exists, unless --force, which
#       keeps the old file as PATH.before-restore-<time>)
#   scripts/restore.sh BACKUP --conninfo CONNINFO
#       pg_restore into the database CONNINFO names, which must be empty (create it with
#       createdb -O codestats codestats_restored); all or nothing (one transaction)
set -euo pipefail

die() { echo "restore: $*" >&2; exit 1; }
backup=""
sqlite_path=""
conninfo=""
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --sqlite) sqlite_path="${2:?}"; shift 2 ;;
    --conninfo) conninfo="${2:?}"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$backup" ] || die "one backup file at a time"; backup="$1"; shift ;;
  esac
done
[ -n "$backup" ] || die "usage: restore.sh BACKUP (--sqlite PATH | --conninfo CONNINFO)"
[ -f "$backup" ] || die "no such backup: $backup"

case "$backup" in
  *.db.gz)
    [ -n "$sqlite_path" ] || die "a SQLite backup needs --sqlite PATH"
    if [ -e "$sqlite_path" ]; then
      [ "$force" = 1 ] || die "$sqlite_path exists; stop codestatsd and pass --force to replace it"
      keep="$sqlite_path.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
      mv "$sqlite_path" "$keep"
      echo "restore: the old database is kept as $keep" >&2
    fi
    # A stale WAL or shared-memory file next to it would be replayed onto the restored copy.
    rm -f "$sqlite_path-wal" "$sqlite_path-shm"
    tmp="$(mktemp "$(dirname "$sqlite_path")/.restore.XXXXXX")"
    trap 'rm -f "$tmp"' EXIT
    gunzip -c "$backup" >"$tmp"
    check="$(sqlite3 "$tmp" "PRAGMA integrity_check")"
    [ "$check" = ok ] || die "the backup fails its integrity check: $check"
    chmod 600 "$tmp"
    mv "$tmp" "$sqlite_path"
    trap - EXIT
    ;;
  *.pgdump)
    [ -n "$conninfo" ] || die "a PostgreSQL backup needs --conninfo CONNINFO"
    pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname "$conninfo" "$backup"
    ;;
  *) die "unknown backup type (expected *.db.gz or *.pgdump): $backup" ;;
esac
echo "restore: done"
