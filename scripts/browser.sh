#!/usr/bin/env bash
# Headless Chromium for the browser test of the status page (tests/e2e_admin.rs).
#
#   bash scripts/browser.sh install
#       Installs Chromium from Debian's packages (chromium) when missing; as root; idempotent
#       and quiet. No browser is downloaded from anywhere else.
#   bash scripts/browser.sh path
#       Prints the Chromium binary's path (CHROMIUM when set, else chromium on PATH or
#       /usr/bin/chromium); exits 1 when there is none.
#   bash scripts/browser.sh check
#       Starts it headless on a data: URL with the flags the test uses; exits 1 when it does
#       not render.
set -euo pipefail

die() { printf 'browser.sh: %s\n' "$*" >&2; exit 2; }

chromium_bin() {
  if [ -n "${CHROMIUM:-}" ]; then
    [ -x "$CHROMIUM" ] && echo "$CHROMIUM"
    return 0
  fi
  local name
  for name in chromium chromium-browser; do
    command -v "$name" 2>/dev/null && return 0
  done
  [ -x /usr/bin/chromium ] && echo /usr/bin/chromium
  return 0
}

install() {
  [ -n "$(chromium_bin)" ] && return 0
  [ -z "${CHROMIUM:-}" ] || die "CHROMIUM=$CHROMIUM is not an executable"
  [ "$(id -u)" -eq 0 ] || die "needs chromium: run as root, or apt-get install chromium"
  # Tests may ask at once: one installs, the others wait and find it done.
  local lock=/run/lock
  [ -d "$lock" ] && [ -w "$lock" ] || lock=/tmp
  exec 9>"$lock/wechat-browser-install.lock"
  flock 9
  [ -n "$(chromium_bin)" ] && { exec 9>&-; return 0; }
  local log status=0
  log=$(mktemp)
  {
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=120 -y -qq)
    # chromium-sandbox (recommended) is not needed: the tests run it with --no-sandbox.
    "${apt[@]}" install --no-install-recommends chromium >"$log" 2>&1 ||
      { "${apt[@]}" update >>"$log" 2>&1 && "${apt[@]}" install --no-install-recommends chromium >>"$log" 2>&1; }
  } || status=$?
  exec 9>&-
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    rm -f "$log"
    die "apt-get install chromium failed"
  fi
  rm -f "$log"
  [ -n "$(chromium_bin)" ] || die "chromium installed, but no chromium binary was found"
}

path() {
  local bin
  bin=$(chromium_bin)
  [ -n "$bin" ] || { echo "browser.sh: no chromium (bash scripts/browser.sh install)" >&2; exit 1; }
  echo "$bin"
}

check() {
  local bin profile out
  bin=$(path)
  profile=$(mktemp -d)
  # The flags the test uses: without the background-networking ones Chromium keeps trying to
  # reach Google's hosts, which this machine's closed network refuses.
  out=$(timeout 60 "$bin" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-quic \
    --user-data-dir="$profile" --dump-dom 'data:text/html,%3Cp%20id%3D%22ok%22%3Eok%3C%2Fp%3E' 2>/dev/null) || true
  rm -rf "$profile"
  [[ "$out" == *'<p id="ok">ok</p>'* ]] || die "$bin did not render a page headless"
  echo "$("$bin" --version 2>/dev/null || echo "$bin") renders headless"
}

case ${1:-} in
  install) install ;;
  path) path ;;
  check) check ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] || exit 2
    ;;
esac
