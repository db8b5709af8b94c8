#!/usr/bin/env bash
# The project's whole test suite: installs what the tests need (Debian packages, Docker
# Compose v2, PyPI tools), builds the Docker test images locally (no registry), then runs
# every test of the workspace, the Python extension's tests and the doc build.
#
#   ./scripts/test.sh
#
# Runs as root on Debian bookworm (CI and the development machines) with a Docker engine.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-test-deps.sh

# The Docker tests need the engine and these images; they fail loudly without them. A fresh
# machine may have the daemon stopped: start-docker.sh starts it (or exits non-zero).
./scripts/start-docker.sh
docker info >/dev/null
./testimages/build.sh

# Snapshots (banatie-infra-core/tests/snapshots.rs) compare, never write: a changed report
# or bundle fails here whatever the caller's environment says.
INSTA_UPDATE=no INSTA_FORCE_PASS=0 cargo test --workspace --locked
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
if [[ -x banatie-infra-py/run-tests.sh ]]; then
    banatie-infra-py/run-tests.sh
fi
