#!/usr/bin/env bash
# The WeChat relay (deploy/relay/): nginx in front of api.weixin.qq.com on a host with a fixed IP.
#
#   bash scripts/relay.sh install
#       Installs nginx (and envsubst, the CA bundle) from Debian's packages when missing; as
#       root; idempotent and quiet. The package service is not started.
#   bash scripts/relay.sh render --key KEY [--server-name NAME] [--listen "443 ssl"]
#                                [--tls-conf FILE] [--upstream URL] [--upstream-host HOST]
#                                [--ca-bundle FILE] [--log-dir DIR]
#       Prints the relay's nginx config (deploy/relay/wechat-relay.conf.template rendered) with
#       the production defaults: TLS on 443, upstream https://api.weixin.qq.com.
#   bash scripts/relay.sh run --dir D --listen 127.0.0.1:PORT --upstream http://127.0.0.1:SIMPORT --key KEY
#                             [--tls-conf FILE] [--upstream-host HOST] [--ca-bundle FILE]
#       For tests: the same template, on plain HTTP (TLS with --tls-conf, a file of
#       ssl_certificate lines), nginx in the foreground with everything it writes (config, pid,
#       logs, temp files) under D. Prints `wechat-relay listening on http://127.0.0.1:PORT` once
#       it accepts connections, then runs until killed (TERM/INT stop nginx).
#       D/logs/wechat-relay.access.log has one line a call: method, path, status, no query.
#
# The key may come from RELAY_KEY instead of --key (keeps it out of `ps`). It must be at least 32
# characters of A-Z a-z 0-9 . _ ~ + / = - (e.g. `openssl rand -hex 32`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
template="$root/deploy/relay/wechat-relay.conf.template"
# shellcheck disable=SC2016 # envsubst's list of names: expanded by envsubst, not here
vars='${RELAY_LISTEN} ${RELAY_SERVER_NAME} ${RELAY_TLS_CONF} ${RELAY_UPSTREAM_SCHEME} ${RELAY_UPSTREAM_ADDR} ${RELAY_UPSTREAM_HOST} ${RELAY_CA_BUNDLE} ${RELAY_KEY} ${RELAY_LOG_DIR}'

die() { printf 'relay.sh: %s\n' "$*" >&2; exit 2; }

nginx_bin() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }

missing_packages() {
  missing=()
  [ -n "$(nginx_bin)" ] || missing+=(nginx)
  command -v envsubst >/dev/null 2>&1 || missing+=(gettext-base)
  [ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
}

install() {
  local missing
  missing_packages
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "needs ${missing[*]}: run as root, or apt-get install ${missing[*]}"
  # Tests may start several relays at once: one installs, the others wait and find it done.
  local lock=/run/lock
  [ -d "$lock" ] && [ -w "$lock" ] || lock=/tmp
  exec 9>"$lock/wechat-relay-install.lock"
  flock 9
  missing_packages
  [ ${#missing[@]} -eq 0 ] && { exec 9>&-; return 0; }
  # Debian's nginx package starts its service on install; the relay runs its own nginx. A
  # policy-rc.d that says "no" stops that (CI images usually have one already).
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1
  fi
  local log status=0
  log=$(mktemp)
  {
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=120 -y -qq)
    "${apt[@]}" install --no-install-recommends "${missing[@]}" >"$log" 2>&1 ||
      { "${apt[@]}" update >>"$log" 2>&1 && "${apt[@]}" install --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }
  } || status=$?
  [ -z "$added" ] || rm -f "$policy"
  exec 9>&-
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$log"
}

check_key() {
  [ -n "${RELAY_KEY:-}" ] || die "no key: pass --key KEY or set RELAY_KEY"
  [[ "$RELAY_KEY" =~ ^[A-Za-z0-9._~+/=-]{32,}$ ]] ||
    die "the key must be at least 32 characters of A-Z a-z 0-9 . _ ~ + / = - (openssl rand -hex 32)"
}

# https://api.weixin.qq.com -> scheme https, addr api.weixin.qq.com:443, host api.weixin.qq.com
split_upstream() {
  local url=$1 rest hostport
  [[ "$url" =~ ^(https?)://([^/?#]+)/?$ ]] || die "--upstream must be http(s)://HOST[:PORT], got $url"
  RELAY_UPSTREAM_SCHEME=${BASH_REMATCH[1]}
  hostport=${BASH_REMATCH[2]}
  rest=${hostport##*:}
  if [[ "$hostport" == *:* && "$rest" =~ ^[0-9]+$ ]]; then
    RELAY_UPSTREAM_ADDR=$hostport
    : "${RELAY_UPSTREAM_HOST:=${hostport%:*}}"
  else
    RELAY_UPSTREAM_ADDR="$hostport:$([ "$RELAY_UPSTREAM_SCHEME" = https ] && echo 443 || echo 80)"
    : "${RELAY_UPSTREAM_HOST:=$hostport}"
  fi
}

render() {
  check_key
  split_upstream "$upstream"
  export RELAY_LISTEN RELAY_SERVER_NAME RELAY_TLS_CONF RELAY_UPSTREAM_SCHEME RELAY_UPSTREAM_ADDR \
    RELAY_UPSTREAM_HOST RELAY_CA_BUNDLE RELAY_KEY RELAY_LOG_DIR
  envsubst "$vars" <"$template"
}

run() {
  [ -n "$dir" ] || dir=$(mktemp -d)
  [[ "$RELAY_LISTEN" =~ ^([^:]+|\[[0-9a-fA-F:]+\]):([0-9]+)$ ]] || die "--listen must be HOST:PORT, got $RELAY_LISTEN"
  local host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
  install
  # The rendered config holds the key: readable by this user only.
  umask 077
  mkdir -p "$dir/logs" "$dir/tmp"
  dir=$(cd "$dir" && pwd)
  RELAY_LOG_DIR="$dir/logs"
  local scheme=http
  if [ -n "$tls_conf" ]; then
    # TLS on the relay's own port too: the certificate lines come from --tls-conf.
    RELAY_TLS_CONF=$(cd "$(dirname "$tls_conf")" && pwd)/$(basename "$tls_conf") scheme=https
  else
    RELAY_TLS_CONF="$dir/tls.conf"
    : >"$RELAY_TLS_CONF"
  fi
  local address=$RELAY_LISTEN
  [ "$scheme" = http ] || RELAY_LISTEN="$address ssl"
  render >"$dir/wechat-relay.conf"
  # As root, nginx's workers would drop to a user that may not reach $dir; this nginx only
  # listens where it is told (loopback in the tests), so its workers keep the caller's user.
  local user=""
  [ "$(id -u)" -ne 0 ] || user="user root root;"
  cat >"$dir/nginx.conf" <<CONF
# Rendered by scripts/relay.sh run: everything under $dir.
$user
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $dir/tmp/client_body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    access_log off;
    include $dir/wechat-relay.conf;
}
CONF
  local connect=$host
  [ "$connect" != "0.0.0.0" ] || connect=127.0.0.1
  connect=${connect#[}
  connect=${connect%]}
  # Something else answering there would pass for nginx below.
  if (exec 3<>"/dev/tcp/$connect/$port") 2>/dev/null; then die "$address is in use"; fi
  local nginx
  nginx=$(nginx_bin)
  local args=(-p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/error.log")
  "$nginx" -t -q "${args[@]}" || die "nginx refused the config in $dir"
  "$nginx" "${args[@]}" -g 'daemon off;' &
  local pid=$!
  trap 'kill -TERM "$pid" 2>/dev/null || true' TERM INT
  local tries=0
  until (exec 3<>"/dev/tcp/$connect/$port") 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" || true; tail -n 20 "$dir/logs/error.log" >&2 || true; die "nginx exited"; }
    tries=$((tries + 1))
    [ "$tries" -lt 200 ] || { kill -TERM "$pid" 2>/dev/null || true; die "nginx does not accept on $address"; }
    sleep 0.05
  done
  echo "wechat-relay listening on $scheme://$address (config and logs in $dir)"
  local status=0
  wait "$pid" || status=$?
  # A trapped signal interrupts the first wait; the second collects nginx's own exit.
  if kill -0 "$pid" 2>/dev/null; then wait "$pid" || status=$?; fi
  exit "$status"
}

command=${1:-}
[ $# -eq 0 ] || shift
dir="" tls_conf="" upstream="https://api.weixin.qq.com"
RELAY_LISTEN="443 ssl" RELAY_SERVER_NAME="${RELAY_SERVER_NAME:-_}" RELAY_TLS_CONF=/etc/nginx/wechat-relay-tls.conf
RELAY_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt RELAY_LOG_DIR=/var/log/nginx RELAY_UPSTREAM_HOST="${RELAY_UPSTREAM_HOST:-}"
[ -n "$RELAY_UPSTREAM_HOST" ] || unset RELAY_UPSTREAM_HOST
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case $1 in
    --dir) dir=$2 ;;
    --listen) RELAY_LISTEN=$2 ;;
    --server-name) RELAY_SERVER_NAME=$2 ;;
    --tls-conf) RELAY_TLS_CONF=$2 tls_conf=$2 ;;
    --upstream) upstream=$2 ;;
    --upstream-host) RELAY_UPSTREAM_HOST=$2 ;;
    --ca-bundle) RELAY_CA_BUNDLE=$2 ;;
    --log-dir) RELAY_LOG_DIR=$2 ;;
    --key) RELAY_KEY=$2 ;;
    *) die "unknown argument $1" ;;
  esac
  shift 2
done

case $command in
  install) install ;;
  render) command -v envsubst >/dev/null 2>&1 || die "envsubst is missing: apt-get install gettext-base (or: bash scripts/relay.sh install)"; render ;;
  run) run ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    [ "$command" = "-h" ] || [ "$command" = "--help" ] || exit 2
    ;;
esac
