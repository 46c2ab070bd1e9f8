#!/usr/bin/env bash
# The ABI header may only change together with its version: sdk/abi-hashes.txt records the
# sha256 of sdk/include/codestats/module_abi.h for each released ABI version. An edit that
# keeps CS_ABI_MAJOR/MINOR but changes the header fails here (append fields, bump the minor,
# note it in sdk/ABI-CHANGELOG.md, then record the new hash).
#   abi_header_test.sh SOURCE_DIR
set -euo pipefail
src="$1"
header="$src/sdk/include/codestats/module_abi.h"
major="$(awk '/#define CS_ABI_MAJOR/ {print $3}' "$header")"
minor="$(awk '/#define CS_ABI_MINOR/ {print $3}' "$header")"
hash="$(sha256sum "$header" | cut -d' ' -f1)"
recorded="$(awk -v v="$major.$minor" '$1 == v {print $2}' "$src/sdk/abi-hashes.txt")"
if [ -z "$recorded" ]; then
  echo "ABI $major.$minor has no recorded hash in sdk/abi-hashes.txt (new version: add \"$major.$minor $hash\")" >&2
  exit 1
fi
if [ "$recorded" != "$hash" ]; then
  echo "module_abi.h changed but is still ABI $major.$minor (sha256 $hash, recorded $recorded): bump CS_ABI_MINOR" >&2
  exit 1
fi
echo "ok: module_abi.h matches the recorded hash of ABI $major.$minor"
