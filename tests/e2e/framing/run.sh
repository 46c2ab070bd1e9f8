#!/usr/bin/env bash
# The differential framing test: every raw request of fuzz/corpus/http_framing/ goes to
# codestatsd (the hello fixture's POST /hello/echo) and to Node's own HTTP server (llhttp,
# strict mode), and framing.test.mjs checks that both accept or refuse it alike and read the
# same body. Needs only node (no npm packages).
#   run.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
. "$here/../host.sh"
e2e_start_host "$build" hello framing-e2e --set "modules.hello.artifact=$build/tests/fixtures/hello_v1.so"
rc=0
FRAMING_CORPUS="$here/../../../fuzz/corpus/http_framing" node --test "$here/framing.test.mjs" || rc=$?
exit "$rc"
