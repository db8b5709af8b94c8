#!/usr/bin/env bash
# Runs the cargo-fuzz targets (banatie-infra-core/fuzz/fuzz_targets/, one per parser) for a
# bounded time each, one after the other at low priority, and prints a table of the
# executions per target (libFuzzer's final `stat::number_of_executed_units`) and whether
# it found a crash. Exits 1 when any target crashed (the input is under
# banatie-infra-core/fuzz/artifacts/TARGET/; keep it as a regression test under
# banatie-infra-core/tests/fixtures/fuzz/TARGET/, see tests/fuzz_regressions.rs).
#
#   ./scripts/fuzz.sh [SECONDS [TARGET...]]     default: 300 s each, every target
#
# Each target's corpus (banatie-infra-core/fuzz/corpus/TARGET/, kept out of git but for
# a few seeds) is seeded from the test fixtures of the files it reads and from its
# regression inputs. The toolchain is stable: RUSTC_BOOTSTRAP lets cargo-fuzz use the
# flags it needs. Environment: FUZZ_SANITIZER (default `none`: the crate is safe Rust, and
# without ASan a target runs 2-3 times as many inputs; `address` to use it),
# FUZZ_MAX_LEN (default 16384 bytes), FUZZ_TIMEOUT (seconds one input may take, default
# 10: a slower one is reported as a crash, since a parser must stay linear).
set -euo pipefail
cd "$(dirname "$0")/../banatie-infra-core"
seconds="${1:-300}"
shift || true
sanitizer="${FUZZ_SANITIZER:-none}"
max_len="${FUZZ_MAX_LEN:-16384}"
timeout="${FUZZ_TIMEOUT:-10}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1

# seed TARGET FIND-ARGS...: copies the matching fixture files into the target's corpus.
seed() {
    local target="$1"
    shift
    local dir="fuzz/corpus/${target}"
    mkdir -p "${dir}"
    find tests/fixtures ../examples -type f "$@" -print 2>/dev/null | while read -r f; do
        cp -n "$f" "${dir}/fixture-$(echo "$f" | tr '/.' '__')" 2>/dev/null || true
    done
    if [ -d "tests/fixtures/fuzz/${target}" ]; then
        cp -n tests/fixtures/fuzz/"${target}"/* "${dir}/" 2>/dev/null || true
    fi
}
seed spec_yaml \( -name '*.yaml' -o -name '*.yml' \) -not -path '*/fuzz/*'
seed spec_toml -name '*.toml' -not -path '*/fuzz/*'
seed spec_json -name '*.json' -not -path '*/fuzz/*' -size -64k
seed compose \( -name 'docker-compose*.yml' -o -name 'compose*.yaml' \) -not -path '*/fuzz/*'
seed envfile \( -name '*.env' -o -name '.env' \) -not -path '*/fuzz/*'
seed env_audit \( -name '*.env' -o -name '.env' \) -not -path '*/fuzz/*'
seed caddyfile -name 'Caddyfile*' -not -path '*/fuzz/*'
seed shell -name '*.sh' -not -path '*/fuzz/*'
seed sql -name '*.sql' -not -path '*/fuzz/*'
seed interp \( -name '*.env' -o -name '.env' -o -name 'docker-compose*.yml' \) -not -path '*/fuzz/*'
seed audit_files -name '__none__'
seed s3json -name '*.json' -path '*readers*'
seed dockerfile -name 'Dockerfile*' -not -path '*/fuzz/*'

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
nice -n 10 cargo fuzz build -s "${sanitizer}"

summary=()
failed=0
for target in "${targets[@]}"; do
    echo "== ${target} (${seconds}s)"
    log="fuzz/artifacts/${target}.log"
    mkdir -p fuzz/artifacts
    status=ok
    nice -n 10 cargo fuzz run -s "${sanitizer}" "${target}" -- \
        -max_total_time="${seconds}" -max_len="${max_len}" -timeout="${timeout}" \
        -print_final_stats=1 >"${log}" 2>&1 || status=crash
    tail -n 5 "${log}"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -n 1)
    if [ "${status}" = crash ]; then
        failed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "${log}" | tail -n 1)
        status="crash: ${artifact:-see ${log}}"
    fi
    summary+=("$(printf '%-14s %12s  %s' "${target}" "${execs:-?}" "${status}")")
done

echo
printf '%-14s %12s  %s\n' target executions result
for line in "${summary[@]}"; do
    echo "${line}"
done
exit "${failed}"
