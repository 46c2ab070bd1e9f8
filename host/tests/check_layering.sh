#!/usr/bin/env bash
# The host's folders point one way (docs/decisions.md, "Host folders"): a folder includes
# its own headers and those of folders on a lower level, never one on its level or above.
#   util < db < services < events < config < abi < http, ws < runtime < admin, upgrade < app
# (host/src/main.cpp, the entry point, may include anything). The exceptions below are
# the edges against that direction that exist today, file by file; the check fails on any
# other, and on an exception that is no longer needed (remove it from the list then).
#   check_layering.sh [HOST_SRC_DIR]
set -euo pipefail
src="${1:-$(dirname "$0")/../src}"

declare -A level=([util]=0 [db]=1 [services]=2 [events]=3 [config]=4 [abi]=5 [http]=6 [ws]=6 [runtime]=7 [admin]=8 [upgrade]=8 [app]=9)
declare -A exception=(
  # option parsing reuses the validators of the settings it parses
  [config/config.cpp:http]=1 [config/config.cpp:ws]=1 [config/config.cpp:runtime]=1
  # the C function table reaches the module table, generations, batch queues and the hub
  [abi/host_api.cpp:http]=1 [abi/host_api.cpp:runtime]=1 [abi/host_api.cpp:ws]=1
  # the hub finds the modules' channel handlers in the module table
  [ws/channel_hub.cpp:runtime]=1
  # the admin gauges read the module table and the hub
  [services/runtime_gauges.cpp:runtime]=1 [services/runtime_gauges.cpp:ws]=1
)
declare -A used=()
bad=0
cd "$src"
for dir in */; do
  dir="${dir%/}"
  if [ -z "${level[$dir]+x}" ]; then
    echo "host/src/$dir: a folder without a level; add it to check_layering.sh and docs/decisions.md" >&2
    bad=1
    continue
  fi
  while IFS=: read -r file _ target; do
    [ -z "$file" ] && continue
    to="${target#*\"}"; to="${to%%/*}"
    [ "$to" = "$dir" ] && continue
    if [ -z "${level[$to]+x}" ]; then continue; fi  # not a host folder
    if [ "${level[$to]}" -lt "${level[$dir]}" ]; then continue; fi
    if [ -n "${exception[$file:$to]+x}" ]; then used[$file:$to]=1; continue; fi
    echo "$file includes $to/ (level ${level[$to]}) from $dir/ (level ${level[$dir]}): against the folders' direction" >&2
    bad=1
  done < <(grep -rHn '^#include "[a-z_]*/' "$dir" | sed 's/:\([0-9]*\):/:\1:/' | awk -F: '{print $1 ":" $2 ":" $3}')
done
for e in "${!exception[@]}"; do
  if [ -z "${used[$e]+x}" ]; then
    echo "exception $e is no longer needed: remove it from check_layering.sh and docs/decisions.md" >&2
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "ok: host/src includes follow util < db < services < events < config < abi < http, ws < runtime < admin, upgrade < app"
exit "$bad"
