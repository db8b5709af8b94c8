#!/usr/bin/env bash
# Benchmarks of the Docker verbs against the tools an operator would otherwise use, on
# the stack of the integration tests (banatie-infra-core/tests/fixtures/docker/stack.yaml)
# and the local test images. Prints one table with both times and the ratio.
#
#   scripts/bench-docker.sh            # everything (the first run fills a 1 GiB database)
#   scripts/bench-docker.sh --keep     # leave the bench stacks running afterwards
#   scripts/bench-docker.sh --clean    # remove the bench stacks and their data, then exit
#
# What is measured (whole commands, timed from outside by hyperfine or, in alternating pairs, by
# scripts/bench/alternate.py; medians):
#   status     `banatie-infra status SPEC` against
#              `docker ps --filter label=io.banatie-infra.stack=S -q | xargs docker inspect`
#              on the same running stack. Target <= 1.0x.
#   backup db  `banatie-infra backup db SPEC` against `docker exec DB pg_dump -Fc -U USER DB
#              > FILE`, on the same database of >= 100 MiB and of >= 1 GiB, in
#              alternating pairs; throughput is database size / time. Target >= 0.95x. The tool's peak RSS (/usr/bin/time -f
#              %M, every timed run) must stay <= 64 MiB.
#   cold up    `banatie-infra up SPEC` against `docker compose up -d --wait` on the
#              rendered docker-compose.yml of the same stack, each run from nothing
#              (containers and the stack's network removed, data wiped), in alternating
#              pairs (scripts/bench/alternate.py). `up` returns when every service's own
#              health-check command has passed (run through exec); Compose's --wait when
#              the engine's health status says healthy. A second row times
#              `up && wait`, which also waits for the engine's status. Run on the test
#              stack (interval 2s) and, unless UP_SEED_RUNS=0, on the same stack with the
#              seed's health-check timings (interval 30s). Target <= 0.5x.
#
# Environment: BENCH_DIR (default /var/tmp/banatie-bench: the stacks' roots, kept between
# runs so the 1 GiB database is filled once), STATUS_RUNS (30), BACKUP_RUNS (5 pairs; the
# 100 MiB one gets 2 more), UP_RUNS (7 pairs), UP_SEED_RUNS (3 pairs), CARGO_TARGET_DIR. Needs root, Docker, Compose v2,
# hyperfine, GNU time and python3 (hyperfine and time are installed with apt-get when
# missing).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/var/tmp/banatie-bench}"
STATUS_RUNS="${STATUS_RUNS:-30}"
BACKUP_RUNS="${BACKUP_RUNS:-5}"
UP_RUNS="${UP_RUNS:-7}"
UP_SEED_RUNS="${UP_SEED_RUNS:-3}"
BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/banatie-infra"
KEEP=0
# shellcheck source=scripts/bench/lib.sh
source "$REPO/scripts/bench/lib.sh"

case "${1:-}" in
--keep) KEEP=1 ;;
--clean)
	for s in bench-s bench-l bench-up bench-up30; do WIPE=1 down_stack "$s"; done
	rm -rf "$BENCH_DIR"
	log "removed the bench stacks and $BENCH_DIR"
	exit 0
	;;
"") ;;
*) die "unknown argument $1 (use --keep or --clean)" ;;
esac

[[ $EUID -eq 0 ]] || die "run as root (the bench writes data directories owned by container UIDs)"
for pkg in hyperfine:hyperfine time:/usr/bin/time; do
	command -v "${pkg#*:}" >/dev/null || apt-get install -y "${pkg%%:*}" >/dev/null
done
docker info >/dev/null 2>&1 || die "no Docker engine"
docker compose version >/dev/null 2>&1 || die "no Docker Compose v2 (scripts/install-test-deps.sh installs it)"
"$REPO/testimages/build.sh" >&2

log "building the release binary"
(cd "$REPO" && cargo build --release --locked -p banatie-infra-cli >&2)
OUT="$(mktemp -d "${TMPDIR:-/tmp}/bench-docker.XXXXXX")"
mkdir -p "$BENCH_DIR"
cleanup() {
	if [[ $KEEP == 0 ]]; then
		for s in bench-s bench-l bench-up bench-up30; do down_stack "$s"; done
	fi
}
trap cleanup EXIT

# --- the databases: 100 MiB and 1 GiB, each filled once and kept in BENCH_DIR ----------
up_stack bench-s
fill_db bench-s $((100 * 1024 * 1024))
up_stack bench-l
fill_db bench-l $((1024 * 1024 * 1024))

# --- status ------------------------------------------------------------------------------
SPEC_L="$(root_of bench-l)/spec.yaml"
log "status: $STATUS_RUNS runs each"
hyperfine --style basic --warmup 3 --runs "$STATUS_RUNS" --export-json "$OUT/status.json" \
	-n "banatie-infra status" "$BIN status $SPEC_L" \
	-n "docker ps | xargs docker inspect" \
	"docker ps --filter label=io.banatie-infra.stack=bench-l -q | xargs docker inspect" >&2

# --- backup db ---------------------------------------------------------------------------
bench_backup() {
	local name=$1 size=$2 runs=$3 root
	root="$(root_of "$name")"
	psql_in "$name" "SELECT pg_database_size(current_database())" >"$OUT/db-$size.bytes"
	log "backup db $size: $runs alternating pairs"
	# Before each run: no earlier output on the disk, and its dirty pages written back.
	python3 "$REPO/scripts/bench/alternate.py" --runs "$runs" \
		--prepare "rm -rf $root/backups $BENCH_DIR/$name-baseline.dump; sync" \
		--export-json "$OUT/backup-$size.json" \
		"banatie-infra backup db" \
		"/usr/bin/time -f %M -a -o $OUT/rss-$size.txt $BIN backup db $root/spec.yaml" \
		"docker exec pg_dump -Fc" \
		"docker exec $name-db pg_dump -Fc -U app_user app_db > $BENCH_DIR/$name-baseline.dump"
	stat -c %s "$BENCH_DIR/$name-baseline.dump" >"$OUT/dump-$size.bytes"
	rm -rf "$root/backups" "$BENCH_DIR/$name-baseline.dump"
}
bench_backup bench-s 100m $((BACKUP_RUNS + 2))
bench_backup bench-l 1g "$BACKUP_RUNS"
# Only the large database is needed above; free the machine for the cold starts.
if [[ $KEEP == 0 ]]; then
	down_stack bench-s
	down_stack bench-l
fi

# --- cold up -----------------------------------------------------------------------------
# Alternating pairs (scripts/bench/alternate.py), each run from nothing.
bench_up() {
	local name=$1 runs=$2 out=$3 root reset
	prepare_stack "$name"
	root="$(root_of "$name")"
	reset="$REPO/scripts/bench/reset-up.sh $BIN $root"
	python3 "$REPO/scripts/bench/alternate.py" --runs "$runs" --prepare "$reset" \
		--export-json "$OUT/$out-up.json" \
		"banatie-infra up" "$BIN up $root/spec.yaml --timeout 300" \
		"docker compose up -d --wait" "$REPO/scripts/bench/compose-up.sh $root $OUT/compose-note.txt"
	python3 "$REPO/scripts/bench/alternate.py" --runs "$runs" --prepare "$reset" \
		--export-json "$OUT/$out-up-wait.json" \
		"banatie-infra up && banatie-infra wait" \
		"$BIN up $root/spec.yaml --timeout 300 && $BIN wait $root/spec.yaml --timeout 300" \
		"docker compose up -d --wait" "$REPO/scripts/bench/compose-up.sh $root $OUT/compose-note.txt"
	$reset
	down_stack "$name"
}
: >"$OUT/compose-note.txt"
log "cold up (test timings, interval 2s): $UP_RUNS alternating pairs, reset before every run"
bench_up bench-up "$UP_RUNS" test
if ((UP_SEED_RUNS > 0)); then
	log "cold up (the seed's timings, interval 30s): $UP_SEED_RUNS alternating pairs"
	SEED_TIMINGS=1 bench_up bench-up30 "$UP_SEED_RUNS" seed
fi

echo "banatie-infra Docker benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), Docker $(docker version -f '{{.Server.Version}}'), Compose $(docker compose version --short 2>/dev/null || echo '?'))"
python3 "$REPO/scripts/bench/report.py" "$OUT"
cat <<EOF

How: each whole command is timed from outside (status: hyperfine; backups and cold up:
alternating pairs, so a drift of the machine's speed lands on both sides); the table shows
medians. Ratios are banatie-infra / baseline for times (lower is better) and
banatie-infra / baseline for throughput (higher is better). Backups: the same running
database for both, each run after the previous output is deleted and synced; the
baseline writes to a file on the same disk; banatie-infra also hashes, fsyncs, verifies the
archive's table of contents and writes the sidecar. Cold up: alternating pairs; before every
run of either command, scripts/bench/reset-up.sh removes the stack's containers and network
and wipes its data directories (PostgreSQL runs initdb each time). "banatie-infra up" stops
when every service's own health-check command has passed through exec (job exited 0);
Compose's --wait when the engine's health status says healthy, which the engine checks
once per interval (API 1.41 has no start_interval); "up && wait" stops when the engine
agrees too. Raw results: $OUT
EOF
