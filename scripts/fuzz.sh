#!/usr/bin/env bash
# Runs the cargo-fuzz targets for a bounded time each (default 300 s) and prints the
# executions and any crash. The toolchain is stable: RUSTC_BOOTSTRAP lets cargo-fuzz use
# the sanitizer flags it needs.
#
#   ./scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../banatie-infra-core"
seconds="${1:-300}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
    echo "== ${target} (${seconds}s)"
    cargo fuzz run "${target}" -- -max_total_time="${seconds}" -max_len=65536 2>&1 | tail -n 15
done
