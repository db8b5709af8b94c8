#!/usr/bin/env bash
# Runs every benchmark of the project and prints one table: measure, this project, the
# peer, the ratio, the target. Whole commands are timed with hyperfine (Debian package);
# in-process figures come from `cargo bench`. Not part of the test command.
#
#   ./scripts/bench.sh            # everything that can run here
#   BENCH_SKIP_DOCKER=1 ./scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-test-deps.sh >/dev/null 2>&1
if ! command -v hyperfine >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q hyperfine >/dev/null
fi
cargo build --release --locked -p banatie-infra-cli 2>/dev/null
bin="$PWD/target/release/banatie-infra"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rows=()
row() { rows+=("$(printf '%-46s | %-14s | %-14s | %-8s | %s' "$@")"); }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.3f}')" "$1" "$2"; }

# 1. render as a whole process against `docker compose config` on the rendered compose.
"$bin" render examples/banatie.yaml -o "$work/bundle" >/dev/null
"$bin" secrets examples/banatie.yaml --dir "$work/bundle" >/dev/null 2>&1 || true
sed -i "s/^GEMINI_API_KEY=.*/GEMINI_API_KEY='bench-not-a-key'/" "$work/bundle/secrets.env"
hyperfine -N --style none --warmup 3 --runs 40 --export-json "$work/render.json" \
    "$bin render examples/banatie.yaml -o $work/out" \
    "docker compose --project-directory $work/bundle -f $work/bundle/docker-compose.yml config -q" >/dev/null
read -r ours peer < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(r[0]['median'], r[1]['median'])" "$work/render.json")
row "render banatie.yaml (process) vs compose config" "$(printf '%.1f ms' "$(python3 -c "print($ours*1000)")")" "$(printf '%.1f ms' "$(python3 -c "print($peer*1000)")")" "$(ratio "$ours" "$peer")" "<= 0.1"

# 2. load, validate + render of 100 / 1,000 / 10,000 services, in process: `scale` with
# the allocator the banatie-infra binary and the Python module ship with (mimalloc),
# `scale_system` with the system allocator (a Rust program embedding the core as is).
scale="$(cargo bench --locked -p banatie-infra-core --bench scale 2>/dev/null)"
scale_sys="$(cargo bench --locked -p banatie-infra-core --bench scale_system 2>/dev/null)"
printf '%s\n%s\n' "$scale" "$scale_sys" | grep -E '^validate|^ratio' >&2
result() { awk -v k="$2" '$1 == "RESULT" && $2 == k {print $3}' <<<"$1"; }
row "validate+render, 1,000 services" "$(result "$scale" scale_mimalloc_1000_ms) ms" "-" "-" "<= 50 ms"
row "validate+render, 10,000 / 1,000 time" "-" "-" "$(result "$scale" scale_mimalloc_ratio)" "<= 12"
row "  load (parse + positions), 10,000 / 1,000" "-" "-" "$(result "$scale" scale_mimalloc_load_ratio)" "info"
row "  system allocator: 1,000 services" "$(result "$scale_sys" scale_system_1000_ms) ms" "-" "-" "info"
row "  system allocator: 10,000 / 1,000 time" "-" "-" "$(result "$scale_sys" scale_system_ratio)" "info"
# The same ratio in instructions (callgrind counts are repeatable whatever the machine
# does; the wall-time ratio also carries the cache misses of a heap ten times larger).
scale_bin="$(cargo bench --locked -p banatie-infra-core --bench scale --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')"
if command -v valgrind >/dev/null && [[ -x "$scale_bin" ]]; then
    for n in 1000 10000; do
        SCALE_ONLY=$n valgrind --tool=callgrind --callgrind-out-file="$work/cg.$n" "$scale_bin" 2>"$work/cg.$n.log"
    done
    i1="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/cg.1000.log")"
    i10="$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/cg.10000.log")"
    row "validate+render, 10,000 / 1,000 instructions" "$i10" "$i1" "$(ratio "$i10" "$i1")" "<= 12"
fi

# 2b. The audit of 1,000 / 10,000 / 100,000 env-file lines, in process: linear in lines.
lines="$(cargo bench --locked -p banatie-infra-core --bench audit_lines 2>/dev/null)"
grep -E '^audit|^ratio' <<<"$lines" >&2
row "audit, 100,000 env-file lines (per line)" "$(result "$lines" audit_lines_100000_us_per_line) us" "-" "-" "info"
row "audit, 100,000 / 10,000 env-file lines time" "-" "-" "$(result "$lines" audit_lines_ratio)" "<= 12"

# 3. Docker and deploy benchmarks (their own script), when the engine is here.
if [[ -z "${BENCH_SKIP_DOCKER:-}" ]] && docker info >/dev/null 2>&1 && [[ -x scripts/bench-docker.sh ]]; then
    scripts/bench-docker.sh | tee "$work/docker.txt" >&2 || true
    while IFS=$'\t' read -r _ name ours peer r target; do
        row "$name" "$ours" "$peer" "$r" "$target"
    done < <(grep '^RESULT' "$work/docker.txt" || true)
    python3 scripts/bench/deploy.py --bin "$bin" | tee "$work/deploy.txt" >&2 || true
    while IFS=$'\t' read -r _ name ours peer r target; do
        row "$name" "$ours" "$peer" "$r" "$target"
    done < <(grep '^RESULT' "$work/deploy.txt" || true)
else
    row "docker: status, backup db, cold up, deploy" "not run" "-" "-" "(no engine)"
fi

# 4. Python per-call overhead: a release wheel (the published build) in its own virtual
# environment under the target directory, built here when absent or older than the
# sources (a few minutes on 2 cores; the test command's venv is a dev build).
target="$(cargo metadata --format-version 1 --no-deps --locked | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target/py-bench-venv"
stamp="$venv/.built-from"
sources="$(git ls-files -z Cargo.lock banatie-infra-core banatie-infra-py | xargs -0 sha256sum | sha256sum | cut -c1-16)"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$sources" ]]; then
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip "maturin>=1.9.4,<2"
    rm -rf "$target/py-bench-wheels"
    "$venv/bin/maturin" build --release --locked -m banatie-infra-py/Cargo.toml \
        --out "$target/py-bench-wheels" >"$work/maturin.log" 2>&1 ||
        { cat "$work/maturin.log" >&2; exit 1; }
    "$venv/bin/python" -m pip install --quiet --force-reinstall "$target"/py-bench-wheels/banatie_infra-*-abi3-*.whl
    printf '%s\n' "$sources" >"$stamp"
fi
"$venv/bin/python" banatie-infra-py/bench.py | tee "$work/py.txt" >&2 || true
py_rust="$(awk '/Rust core in-process/ {print $5}' "$work/py.txt")"
py_py="$(awk '/Python spec.render/ {print $4}' "$work/py.txt")"
row "render from Python vs Rust in process (per call)" "${py_py} us" "${py_rust} us" "$(ratio "$py_py" "$py_rust")" "<= 1.3"

printf '\n%-46s | %-14s | %-14s | %-8s | %s\n' "measure" "this project" "peer" "ratio" "target"
printf '%s\n' "-----------------------------------------------+----------------+----------------+----------+---------"
printf '%s\n' "${rows[@]}"
