#!/usr/bin/env bash
# Checks the files in deploy/: the nginx sites (one host, several hosts) pass `nginx -t`
# (with a throwaway self-signed certificate in place of Let's Encrypt's) and proxy alike,
# and the systemd units pass `systemd-analyze verify` without a single warning (it exits 0
# on unknown keys and bad values, so any output fails the test).
#   check_deploy.sh SOURCE_DIR HOST_BINARY
set -euo pipefail
src="$1"
host_bin="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

if command -v nginx >/dev/null; then
  mkdir -p "$tmp/nginx"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=codestats.example.org" \
    -keyout "$tmp/nginx/key.pem" -out "$tmp/nginx/cert.pem" >/dev/null 2>&1
  # Each site on its own: both define the upstream "codestatsd" (one is installed, not both).
  for site in codestatsd.conf codestatsd-upstream.conf; do
    dir="$tmp/nginx/${site%.conf}"
    mkdir -p "$dir/logs"
    sed -e "s|/etc/letsencrypt/live/codestats.example.org/fullchain.pem|$tmp/nginx/cert.pem|" \
        -e "s|/etc/letsencrypt/live/codestats.example.org/privkey.pem|$tmp/nginx/key.pem|" \
        "$src/deploy/nginx/$site" >"$dir/site.conf"
    cat >"$dir/nginx.conf" <<CONF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    include $dir/site.conf;
}
CONF
    if ! out="$(nginx -t -p "$dir" -c "$dir/nginx.conf" 2>&1)"; then
      echo "FAIL: nginx -t rejects deploy/nginx/$site:"; echo "$out"; status=1
    elif echo "$out" | grep -qi "warn"; then
      echo "FAIL: nginx -t warns about deploy/nginx/$site:"; echo "$out"; status=1
    else
      echo "ok: nginx -t accepts deploy/nginx/$site"
    fi
  done
  # The multi-host site is the single-host one with another upstream and failover: the same
  # listeners, locations, proxied headers and limits, so a change to one is made to both.
  shape() {
    grep -E '^\s*(listen|server_name|location|root|try_files|proxy_pass|proxy_http_version|proxy_set_header|proxy_read_timeout|proxy_send_timeout|proxy_buffering|client_|large_client|send_timeout|ssl_|add_header|expires|return)\b' \
      "$1" | sed -E 's/^\s+//'
  }
  if ! out="$(diff <(shape "$src/deploy/nginx/codestatsd.conf") <(shape "$src/deploy/nginx/codestatsd-upstream.conf"))"; then
    echo "FAIL: deploy/nginx/codestatsd.conf and codestatsd-upstream.conf differ outside the upstream:"
    echo "$out"; status=1
  else
    echo "ok: deploy/nginx/codestatsd-upstream.conf proxies like codestatsd.conf"
  fi
else
  echo "FAIL: nginx is not installed (scripts/deps.sh --test installs it)"; status=1
fi

# The example configuration is valid as shipped (with the env file's variables).
if out="$(while IFS= read -r line; do  # systemd EnvironmentFile syntax: NAME=value with spaces
             case "$line" in ''|'#'*) ;; *) export "$line" ;; esac
           done <"$src/deploy/codestatsd.env.example"
           "$host_bin" --config "$src/deploy/codestatsd.conf.example" --print-config 2>&1)"; then
  echo "ok: codestatsd accepts deploy/codestatsd.conf.example"
else
  echo "FAIL: codestatsd rejects deploy/codestatsd.conf.example:"; echo "$out"; status=1
fi

if command -v systemd-analyze >/dev/null; then
  mkdir -p "$tmp/units"
  # verify wants the executables to exist: point them at the build and the source tree.
  for unit in codestatsd.service codestatsd-backup.service codestatsd-backup.timer; do
    sed -e "s|/usr/local/bin/codestatsd-backup|$src/scripts/backup.sh|" \
        -e "s|/usr/local/bin/codestatsd|$host_bin|" "$src/deploy/$unit" >"$tmp/units/$unit"
  done
  out="$(systemd-analyze verify "$tmp/units/codestatsd.service" "$tmp/units/codestatsd-backup.service" \
        "$tmp/units/codestatsd-backup.timer" 2>&1)" || { echo "FAIL: systemd-analyze verify:"; echo "$out"; status=1; }
  if [ "$status" = 0 ] && [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify reports problems:"; echo "$out"; status=1
  elif [ "$status" = 0 ]; then
    echo "ok: systemd-analyze verify accepts the units"
  fi
else
  echo "skip: systemd-analyze not available"
fi
exit "$status"
