#!/usr/bin/env bash
# Installs the Debian 12 packages codestatsd builds, runs and tests with. Idempotent and
# quick when everything is present (no apt-get call at all then).
#   scripts/deps.sh          build + run
#   scripts/deps.sh --test   also what the test suite needs (PostgreSQL server, curl,
#                            aiosmtpd for the mail module's SMTP test, the openssl CLI
#                            for its TLS tests' throwaway CA, chromium for the browser
#                            tests driven by playwright-core, nginx for `nginx -t` of
#                            deploy/, clang and its libFuzzer runtime for fuzz/)
set -euo pipefail

packages=(g++ make cmake ninja-build pkg-config ccache binutils
          libpoco-dev libspdlog-dev libfmt-dev catch2 libsqlite3-dev libpq-dev libsodium-dev liblz4-dev
          libssl-dev libkainjow-mustache-dev libmaxminddb-dev
          libsystemd-dev  # sd_notify for the systemd unit (Type=notify)
          rapidjson-dev  # the ingest module's pulse body reader (header-only)
          libjemalloc-dev  # the host's allocator (docs/decisions.md, "Memory after bursts")
          sqlite3)  # scripts/backup.sh and restore.sh (SQLite online backup)
if [ "${1:-}" = "--test" ]; then
  packages+=(postgresql curl procps python3-aiosmtpd openssl libmaxmind-db-writer-perl chromium
             nginx clang libclang-rt-14-dev
             clang-format)  # tests/style/check_style.sh
fi

# Node.js and npm: the build bundles the browser code (frontend/, esbuild) and the tests run
# the official phoenix client; a machine that already has a node (e.g. NodeSource) keeps it.
if ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
