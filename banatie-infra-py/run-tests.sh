#!/usr/bin/env bash
# The Python extension's tests, against the built wheel installed in a fresh virtual
# environment (never an editable or `maturin develop` install):
#
#   banatie-infra-py/run-tests.sh [PYTEST ARGS...]
#
# 1. builds the CLI (the tests compare the module with it) and the wheel (abi3) with the
#    cargo profile BANATIE_PY_PROFILE: `dev` by default (a minute: it reuses the CLI's
#    build of the core), `release` for the published build (~12 minutes on 2 cores);
# 2. creates target/py-venv, installs the wheel, pytest and mypy;
# 3. runs pytest (the Docker tests need the engine and the test images: they fail, never
#    skip, without them), mypy --strict on tests/sample_usage.py (and the other tests and
#    bench.py), and stubtest;
# 4. installs the package from source (`pip install ./banatie-infra-py`, built by
#    maturin through pip) into a second fresh environment and imports it.
#
# Needs: cargo, python3 (3.9+; the tests use 3.11's tomllib), maturin >= 1.9.4 on PATH
# or installable from PyPI, and network access to PyPI for pytest, mypy and maturin.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"

python="${PYTHON:-python3}"
profile="${BANATIE_PY_PROFILE:-dev}"
# Cargo's target directory (CARGO_TARGET_DIR is honoured): the CLI, the wheel, the venvs.
target="$(cargo metadata --format-version 1 --no-deps --locked |
    "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target/py-venv"
src_venv="$target/py-venv-src"
wheels="$target/py-wheels"
export BANATIE_INFRA_CLI="$target/debug/banatie-infra"

step() { printf '\n[py-tests] %s\n' "$*" >&2; }

step "building the CLI"
cargo build -p banatie-infra-cli --locked

step "creating $venv"
"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "maturin>=1.9.4,<2" pytest mypy

step "building the wheel (profile $profile, abi3)"
rm -rf "$wheels"
"$venv/bin/maturin" build --profile "$profile" --locked -m "$here/Cargo.toml" --out "$wheels"
wheel="$(find "$wheels" -name 'banatie_infra-*-abi3-*.whl' -print -quit)"
[[ -n "$wheel" ]] || { echo "no abi3 wheel in $wheels" >&2; exit 1; }
ls -l "$wheel" >&2

step "installing $(basename "$wheel")"
"$venv/bin/python" -m pip install --quiet --force-reinstall "$wheel"

export PYTHONDONTWRITEBYTECODE=1
step "pytest"
(cd "$here" && "$venv/bin/python" -m pytest -p no:cacheprovider tests "$@")

step "mypy --strict: tests/sample_usage.py (every function), the other tests, bench.py"
(cd "$here/tests" && "$venv/bin/python" -m mypy --strict --cache-dir "$venv/mypy-cache" sample_usage.py)
(cd "$here" && "$venv/bin/python" -m mypy --strict --cache-dir "$venv/mypy-cache" tests bench.py)

step "stubtest"
(cd "$venv" && "$venv/bin/python" -m mypy.stubtest banatie_infra \
    --allowlist "$here/stubtest-allowlist.txt")

step "pip install ./banatie-infra-py (from source, through maturin)"
"$python" -m venv --clear "$src_venv"
MATURIN_PEP517_ARGS="--profile $profile" "$src_venv/bin/python" -m pip install --quiet "$here"
(cd "$src_venv" && "$src_venv/bin/python" -c '
import banatie_infra, sys
spec = banatie_infra.loads("stack: {name: demo}\nservices: {}\n")
assert spec.render(), "renders"
print(f"from source: banatie_infra {banatie_infra.__version__} on Python {sys.version.split()[0]}")
')

step "all Python checks passed"
