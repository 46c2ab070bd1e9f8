#!/usr/bin/env bash
# Checks the files in deploy/: the nginx site passes `nginx -t` (with a throwaway
# self-signed certificate in place of Let's Encrypt's), and the systemd units pass
# `systemd-analyze verify` without a single warning (it exits 0 on unknown keys and bad
# values, so any output fails the test).
#   check_deploy.sh SOURCE_DIR HOST_BINARY
set -euo pipefail
src="$1"
host_bin="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

if command -v nginx >/dev/null; then
  mkdir -p "$tmp/nginx/logs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=codestats.example.org" \
    -keyout "$tmp/nginx/key.pem" -out "$tmp/nginx/cert.pem" >/dev/null 2>&1
  sed -e "s|/etc/letsencrypt/live/codestats.example.org/fullchain.pem|$tmp/nginx/cert.pem|" \
      -e "s|/etc/letsencrypt/live/codestats.example.org/privkey.pem|$tmp/nginx/key.pem|" \
      "$src/deploy/nginx/codestatsd.conf" >"$tmp/nginx/site.conf"
  cat >"$tmp/nginx/nginx.conf" <<CONF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    include $tmp/nginx/site.conf;
}
CONF
  if ! out="$(nginx -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>&1)"; then
    echo "FAIL: nginx -t rejects deploy/nginx/codestatsd.conf:"; echo "$out"; status=1
  elif echo "$out" | grep -qi "warn"; then
    echo "FAIL: nginx -t warns about deploy/nginx/codestatsd.conf:"; echo "$out"; status=1
  else
    echo "ok: nginx -t accepts deploy/nginx/codestatsd.conf"
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
