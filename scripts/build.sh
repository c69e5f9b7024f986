#!/usr/bin/env bash
# Builds the Worker (build/index.js + wasm) with the tools scripts/setup.sh installed.
# wrangler runs this at start (twice); it skips when the build is newer than every input.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f build/index.js ] && [ -z "$(find src Cargo.toml Cargo.lock openapi.yaml -newer build/index.js -print -quit)" ]; then
  exit 0
fi
bin_dir="${CARGO_HOME:-$HOME/.cargo}/bin"
export WASM_BINDGEN_BIN="${WASM_BINDGEN_BIN:-$bin_dir/wasm-bindgen}"
export WASM_OPT_BIN="${WASM_OPT_BIN:-$PWD/node_modules/binaryen/bin/wasm-opt}"
export ESBUILD_BIN="${ESBUILD_BIN:-$PWD/node_modules/@esbuild/linux-x64/bin/esbuild}"
[ -x "$WASM_BINDGEN_BIN" ] || { echo "wasm-bindgen not found: run 'npm run setup' (bash scripts/setup.sh) first" >&2; exit 1; }
"$bin_dir/worker-build" --release
