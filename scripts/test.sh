#!/usr/bin/env bash
# Runs every test: set-up (idempotent), the unit tests of the pure code and the simulator,
# then the end-to-end tests, which start the simulator and `wrangler dev` themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
# Every e2e process runs in its own process group under target/e2e and is stopped by the
# harness; should a test binary itself be killed, sweep what it left behind.
sweep() { pkill -f -- "--persist-to $PWD/target/e2e/" 2>/dev/null || true; pkill -f -- "$PWD/target/debug/wechat-sim" 2>/dev/null || true; }
trap 'sweep; rm -f "$log"' EXIT

bash scripts/setup.sh
# Formatting and lints, natively and for the Worker's target: a finding fails the run.
cargo fmt --all -- --check
cargo clippy -q --workspace --all-targets -- -D warnings
cargo clippy -q -p wechat-edge --lib --target wasm32-unknown-unknown -- -D warnings
bash scripts/build.sh
cargo build -q -p wechat-sim --bin wechat-sim
# nginx for the relay tests (deploy/relay/), from Debian's packages when missing.
bash scripts/relay.sh install
# Chromium for the status page's browser test (tests/e2e_admin.rs), from Debian's packages
# when missing.
bash scripts/browser.sh install
# The mini-program client (client/): its pinned compiler, dist/ (which tests/e2e_client.rs
# loads) and its unit tests on node's test runner.
npm --prefix client ci --no-audit --no-fund
npm --prefix client test 2>&1 | tee -a "$log"


# Each e2e test starts its own wrangler dev (~850 MB); three at a time fits a 2-core machine.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-3}"
set +e
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
# The contract check, reduced (the full run: bash scripts/schemathesis.sh).
if [ "$status" -eq 0 ] && [ $# -eq 0 ]; then
  SCHEMATHESIS_MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-10}" bash scripts/schemathesis.sh 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
# The deploy check (a dry-run deploy of each wrangler.toml environment: its bindings, the size
# budget), counted as one test.
if [ $# -eq 0 ]; then
  if bash scripts/deploy-check.sh 2>&1 | tee -a "$log"; then echo "# pass 1" | tee -a "$log"; else echo "# fail 1" | tee -a "$log"; status=1; fi
fi
set -e
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) s += $i } }
     /^# pass [0-9]+$/ { p += $3 } /^# fail [0-9]+$/ { f += $3 } /^# skipped [0-9]+$/ { s += $3 }
     END { printf "wechat-edge: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
