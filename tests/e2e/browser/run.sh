#!/usr/bin/env bash
# Starts codestatsd (web, ingest, channels, mail) on ephemeral ports with a fresh var dir, installs the pinned
# npm packages (playwright-core) and runs the browser tests with node's test runner in
# headless Debian chromium. Screenshots are kept in BUILD_DIR/e2e-browser/screenshots.
#   run.sh BUILD_DIR [FILE.test.mjs...]   (default: every test file)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "$1" && pwd)"
work="$build/e2e-browser"
[ -x /usr/bin/chromium ] || { echo "browser e2e: /usr/bin/chromium missing (scripts/deps.sh --test installs it)" >&2; exit 1; }
mkdir -p "$work/screenshots"
rm -f "$work"/screenshots/*.png
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

. "$here/../host.sh"
# A tiny GeoIP database that places loopback clients in Helsinki, so front-page pulses carry
# coordinates and the map shows their dots (tests/geoip/make-test-mmdb.pl).
perl "$here/../../geoip/make-test-mmdb.pl" "$work/test-city.mmdb"
# The mail module's file transport writes password-reset mails where the tests read them.
rm -rf "$work/mail"
e2e_start_host "$build" web,ingest,channels,mail browser-e2e --set modules.channels.geoip_db="$work/test-city.mmdb" \
  --set modules.mail.file_dir="$work/mail"
export CODESTATS_SCREENSHOTS="$work/screenshots" CODESTATS_CTL="$build/bin/codestatsctl" CODESTATS_MAIL_DIR="$work/mail"
cd "$work"
rc=0
# One file at a time: two chromiums at once on a loaded machine slow each other down.
files=("${@:2}")
[ ${#files[@]} -gt 0 ] || files=(./*.test.mjs)
node --test --test-concurrency=1 "${files[@]}" || rc=$?
echo "browser e2e: screenshots in $work/screenshots"
exit "$rc"
