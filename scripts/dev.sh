#!/usr/bin/env bash
# Runs the worker locally under `wrangler dev`.
# - With WECHAT_APP_SECRET in .dev.vars: against the real WeChat API.
# - Without: the bundled WeChat simulator is started beside it, and the worker talks to it.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8787}"
SIM_PORT="${SIM_PORT:-8790}"
export CI="${CI:-true}" WRANGLER_SEND_METRICS=false
# Offline-friendly: no fetch of the `Request.cf` placeholder from workers.cloudflare.com.
export CLOUDFLARE_CF_FETCH_ENABLED="${CLOUDFLARE_CF_FETCH_ENABLED:-false}"

bash scripts/setup.sh
bash scripts/build.sh

# The D1 schema (migrations/), applied to the local database; already applied ones are skipped.
node node_modules/wrangler/bin/wrangler.js d1 migrations apply DB --local --persist-to .wrangler/state

wrangler=(node node_modules/wrangler/bin/wrangler.js dev --ip 127.0.0.1 --port "$PORT"
  --show-interactive-dev-session=false --persist-to .wrangler/state)

if [ -f .dev.vars ] && grep -qE '^WECHAT_APP_SECRET=.+' .dev.vars; then
  echo "[dev] .dev.vars has credentials: talking to the real WeChat API"
  exec "${wrangler[@]}"
fi

APPID=wx0000000000000001
SECRET=sim-secret-0001
INTERNAL_API_KEY=dev-internal-key
PUSH_TOKEN=devpushtoken
AES_KEY=abcdefghijklmnopqrstuvwxyz0123456789ABCDEF0

cargo build -q -p wechat-sim --bin wechat-sim
sim_log=.wrangler/simulator.log
mkdir -p .wrangler
setsid target/debug/wechat-sim --port "$SIM_PORT" --app "$APPID:$SECRET" > "$sim_log" 2>&1 &
sim_pid=$!
trap 'kill -- -$sim_pid 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do grep -q "listening on" "$sim_log" 2>/dev/null && break; sleep 0.1; done
grep -q "listening on" "$sim_log" || { echo "the simulator did not start; see $sim_log" >&2; exit 1; }
SIM="http://127.0.0.1:$SIM_PORT"

cat <<INFO
[dev] no credentials in .dev.vars: running against the WeChat simulator at $SIM (log: $sim_log)
[dev] the worker will listen on http://127.0.0.1:$PORT  (app $APPID, internal key $INTERNAL_API_KEY)
[dev] try, in another terminal:
  curl -s http://127.0.0.1:$PORT/health
  code=\$(curl -s -X POST $SIM/_sim/login_code -d '{}' | sed 's/.*"code":"\\([^"]*\\)".*/\\1/')
  curl -s -X POST http://127.0.0.1:$PORT/api/login -H 'Content-Type: application/json' -d "{\"code\":\"\$code\"}"
  curl -s http://127.0.0.1:$PORT/internal/token -H 'Authorization: Bearer $INTERNAL_API_KEY'
INFO

"${wrangler[@]}" \
  --var "WECHAT_APPID:$APPID" --var "WECHAT_APP_SECRET:$SECRET" \
  --var "WECHAT_API_BASE:$SIM" --var "WECHAT_MP_BASE:$SIM" \
  --var "INTERNAL_API_KEY:$INTERNAL_API_KEY" \
  --var "WECHAT_PUSH_TOKEN:$PUSH_TOKEN" --var "WECHAT_ENCODING_AES_KEY:$AES_KEY"
