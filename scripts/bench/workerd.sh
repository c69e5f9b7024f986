#!/usr/bin/env bash
# Issue 18, item 1: the push pipeline timed inside workerd. Builds the Worker with the `bench`
# feature into target/bench-worker (its own cargo target dir: the deployed build/ is untouched),
# serves it with wrangler's own `workerd` binary on a free loopback port (no wrangler, no
# inspector), runs scripts/bench/workerd.mjs against it and stops workerd (its process group).
# Usage: bash scripts/bench/workerd.sh <inputs dir> <out.json>
set -euo pipefail
cd "$(dirname "$0")/../.."
inputs=$1 out=$2
WORKER_OUT_DIR=target/bench-worker/build WORKER_FEATURES=bench CARGO_TARGET_DIR=target/bench-worker/cargo \
  bash scripts/build.sh >&2
workerd=node_modules/@cloudflare/workerd-linux-64/bin/workerd
[ -x "$workerd" ] || { echo "workerd not found at $workerd: run npm install" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=target/bench-worker/workerd.log
setsid "$workerd" serve benches/workerd/config.capnp --socket-addr "http=127.0.0.1:$port" >"$log" 2>&1 &
pid=$!
trap 'kill -- -"$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
"$workerd" --version >&2 || true
node scripts/bench/workerd.mjs "http://127.0.0.1:$port" "$inputs" >"$out"
