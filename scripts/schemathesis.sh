#!/usr/bin/env bash
# The contract check: schemathesis (PyPI) against the worker under `wrangler dev`, driven by the
# WeChat simulator. Every response must be documented in openapi.yaml (status, content type,
# headers, body schema) and none may be a 5xx.
#
#   bash scripts/schemathesis.sh                               # 100 cases per operation, ~2 minutes
#   SCHEMATHESIS_MAX_EXAMPLES=20 bash scripts/schemathesis.sh  # a quicker pass (~1 minute)
#   SCHEMATHESIS_ARGS="--continue-on-failure --seed 1" bash scripts/schemathesis.sh
#
# How: schemathesis goes into a throwaway virtualenv under target/schemathesis-env (once; the
# version is pinned below). The run itself is the ignored test
# `schemathesis_finds_no_response_outside_the_contract` in tests/e2e_openapi.rs, which starts the
# simulator and `wrangler dev` through the e2e harness (tests/common), exactly as every other
# end-to-end test does, and runs `schemathesis run` against `GET /openapi.yaml` with the hooks in
# scripts/schemathesis/hooks.py (auth, push signatures, steering to configured apps and users).
# Reports (JUnit, NDJSON) land in target/schemathesis-report, with hypothesis's example database
# (failing cases are replayed first on the next run).
#
# Checks: not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance, response_headers_conformance. Phases: all (examples, coverage,
# fuzzing; stateful has no links to follow). One worker thread: CPython 3.11.7's ast.parse is not
# thread-safe ("AST constructor recursion depth mismatch" inside hypothesis with --workers 2).
# No operation is excluded: pushes are signed by the hooks, so the push parser is fuzzed too
# (bodies carrying `Encrypt` stop at decryption, since random bytes are not a valid ciphertext;
# the e2e push tests cover real encrypted pushes). Login and phone codes and open data, which no
# generator can guess, are minted by the hooks from the simulator for half the cases.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
env_dir=target/schemathesis-env
bin="$env_dir/bin/schemathesis"

if [ ! -x "$bin" ] || [ "$("$bin" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $env_dir"
  python3 -m venv "$env_dir"
  "$env_dir/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==0.8.4"
fi

# The document itself first: a malformed spec would make every later failure noise.
"$env_dir/bin/python" - <<'EOF'
import yaml
from openapi_spec_validator import validate
with open("openapi.yaml") as f:
    validate(yaml.safe_load(f))
print("openapi.yaml: a valid OpenAPI 3.1 document")
EOF

bash scripts/setup.sh
bash scripts/build.sh
export SCHEMATHESIS_BIN="$PWD/$bin"
exec cargo test --test e2e_openapi -- --ignored --nocapture schemathesis_finds_no_response_outside_the_contract
