#!/usr/bin/env bash
# The long property run: PROPTEST_CASES random specs (default 10,000) through the
# property of banatie-infra-core/tests/properties.rs (Compose schema, env files read
# back byte for byte by the in-process parser and, in one batch, by `docker compose
# config`, secrets of every alphabet, `caddy adapt`, deterministic output), and those
# of tests/properties_text.rs (sh with tracing stubs, docker compose config and
# PostgreSQL 15 over arbitrary strings). The test command runs them with 256 cases.
#
#   ./scripts/proptest-long.sh            # 10,000 cases
#   PROPTEST_CASES=2000 ./scripts/proptest-long.sh
#
# Prints the number of cases, the wall time and the test's own result line.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-deps.sh >/dev/null 2>&1
export PROPTEST_CASES="${PROPTEST_CASES:-10000}"
cargo test --release --locked -p banatie-infra-core --test properties --test properties_text --no-run >/dev/null 2>&1
start=$(date +%s)
out="$(cargo test --release --locked -p banatie-infra-core --test properties --test properties_text 2>&1)" || {
	printf '%s\n' "$out"
	echo "property run FAILED after $(($(date +%s) - start)) s ($PROPTEST_CASES cases requested)"
	exit 1
}
printf '%s\n' "$out" | grep -E '^test |test result'
echo "property run: $PROPTEST_CASES cases passed in $(($(date +%s) - start)) s ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
# The Caddyfile's property, `caddy adapt` as the oracle (banatie-infra-core/tests/properties_caddy.rs).
start=$(date +%s); cargo test --release --locked -p banatie-infra-core --test properties_caddy 2>&1 | grep -E '^test |test result|panicked|FAILED'; echo "caddy property run: $PROPTEST_CASES cases in $(($(date +%s) - start)) s"
PROPTEST_CASES="$PROPTEST_CASES" cargo test --release --locked -p banatie-infra-core --test attacks_jail 2>&1 | grep -E "^test property|test result" # the jail property (tests/attacks_jail.rs)
# Redaction: arbitrary values in every secret place (tests/attacks_redaction.rs).
cargo test --release --locked -p banatie-infra-core --test attacks_redaction any_value_in_a_secret_place 2>&1 | grep -E '^test |test result'
