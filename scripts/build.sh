#!/usr/bin/env bash
# Builds the Worker (build/index.js + wasm) with the tools scripts/setup.sh installed.
# wrangler runs this at start (twice); it skips when the build is newer than every input.
# WORKER_OUT_DIR and WORKER_FEATURES build a variant elsewhere (scripts/bench.sh builds the
# `bench` feature into target/bench-worker; give it its own CARGO_TARGET_DIR too).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${WORKER_OUT_DIR:-build}"
features=()
[ -n "${WORKER_FEATURES:-}" ] && features=(--features "$WORKER_FEATURES")

if [ -f "$out/index.js" ] && [ -z "$(find src Cargo.toml Cargo.lock openapi.yaml -newer "$out/index.js" -print -quit)" ]; then
  exit 0
fi
bin_dir="${CARGO_HOME:-$HOME/.cargo}/bin"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$bin_dir/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/binaryen/bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/@esbuild/linux-x64/bin/esbuild}"
[ -x "$WASM_BINDGEN_BIN" ] || { echo "wasm-bindgen not found: run 'npm run setup' (bash scripts/setup.sh) first" >&2; exit 1; }
"$bin_dir/worker-build" --release --out-dir "$out" ${features[@]+"${features[@]}"}
# worker-build's wasm-opt keeps the name section (function names, ~200 KB raw, ~55 KB gzip);
# strip it, so the upload stays under 350 KB gzip, and optimise once more for size (-Oz: 1.7 KB
# gzip less than worker-build's -O; the hot crypto keeps its opt-level 3 from Cargo.toml). A
# panic's stack trace then shows function indices instead of names (we build with panic =
# "abort"; any panic is a bug). Set KEEP_WASM_NAMES=1 to keep them when debugging.
if [ -z "${KEEP_WASM_NAMES:-}" ]; then
  "$WASM_OPT_BIN" "$out/index_bg.wasm" -o "$out/index_bg.wasm" -Oz --strip-debug --strip-producers \
    --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory \
    --enable-multivalue --enable-reference-types --enable-exception-handling
fi
