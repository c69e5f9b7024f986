#!/usr/bin/env bash
# One-time (and idempotent) setup on a machine with only rustup and Node >= 20, offline but for
# the package registries: the wasm target, worker-build, wasm-bindgen-cli at exactly the
# version in Cargo.lock, and the npm packages (wrangler, and wasm-opt from binaryen).
# Nothing is downloaded from GitHub. A second run only checks, in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7
say() { printf '[setup] %s\n' "$*"; }

command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup first" >&2; exit 1; }
command -v node >/dev/null || { echo "node not found: install Node.js 20 or newer" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "Node $node_major is too old: wechat-edge needs Node 20 or newer" >&2; exit 1; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

bin_dir="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ "$("$bin_dir/worker-build" --version 2>/dev/null || true)" != "$WORKER_BUILD_VERSION" ]; then
  say "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --force
fi

# wasm-bindgen-cli must equal the wasm-bindgen crate in Cargo.lock, or the build fails.
wb_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$wb_version" ] || { echo "could not read the wasm-bindgen version from Cargo.lock" >&2; exit 1; }
if [ "$("$bin_dir/wasm-bindgen" --version 2>/dev/null || true)" != "wasm-bindgen $wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (a few minutes, once)"
  # Not --locked: its lockfile pins a crate the registry no longer has.
  cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# npm: reinstall only when package-lock.json changed since the last install.
stamp=node_modules/.wechat-edge-setup
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "installing npm packages (wrangler, binaryen)"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
say "ready"
