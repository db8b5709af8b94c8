#!/usr/bin/env bash
# The project's whole test suite: installs what the tests need (Debian packages,
# Docker Compose v2, PyPI tools), then runs every test of the workspace.
#
#   ./scripts/test.sh
#
# Runs as root on Debian bookworm (CI and the development machines). Exits non-zero on
# the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-test-deps.sh

# The Docker engine must be up for the tests that need it; they fail loudly otherwise.
docker info >/dev/null 2>&1 || echo "[test] warning: the Docker engine is not reachable" >&2

cargo test --workspace --locked
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
