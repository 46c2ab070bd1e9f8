#!/usr/bin/env bash
# Every library a module may link (sdk/tools/needed-allowlist.txt) must already be in the
# host's dependency closure: a module that mapped a new library could be pinned by it.
#   check_allowlist_linked.sh CODESTATSD ALLOWLIST
set -euo pipefail
host="$1" allowlist="$2"
closure="$(ldd "$host")"
missing=0
while read -r lib; do
  lib="${lib%%#*}"; lib="${lib// /}"
  [ -z "$lib" ] && continue
  if ! grep -q "$lib" <<<"$closure"; then
    echo "host does not link allowlisted library $lib" >&2
    missing=1
  fi
done <"$allowlist"
[ "$missing" = 0 ] && echo "ok: every allowlisted library is linked by $host"
exit "$missing"
