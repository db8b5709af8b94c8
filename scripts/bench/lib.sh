# shellcheck shell=bash
# Helpers of scripts/bench-docker.sh (sourced). Expects REPO, BIN and BENCH_DIR.

TEMPLATE="$REPO/banatie-infra-core/tests/fixtures/docker/stack.yaml"

log() { printf '[bench-docker %5ss] %s\n' "$SECONDS" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The deployment root of bench stack NAME.
root_of() { printf '%s/%s' "$BENCH_DIR" "$1"; }

# Renders bench stack NAME (the test fixture with prefix NAME) into its root, completes
# its secrets.env and creates its proxy network. Idempotent. With SEED_TIMINGS=1 the
# fixture's short health-check timings (interval 2s) are dropped, so every service gets
# the spec's defaults, which are the seed's (interval 30s, timeout 10s, 3 retries).
prepare_stack() {
	local name=$1 root drop='^$'
	root="$(root_of "$name")"
	mkdir -p "$root"
	[[ "${SEED_TIMINGS:-0}" == 1 ]] && drop='^    health: {.*}$'
	sed -e "s/@P@/$name/g" -e "s#@ROOT@#$root#g" -e "/$drop/d" "$TEMPLATE" >"$root/spec.yaml"
	"$BIN" render "$root/spec.yaml" -o "$root" >/dev/null
	"$BIN" secrets "$root/spec.yaml" --dir "$root" >/dev/null
	docker network inspect "$name-proxy" >/dev/null 2>&1 ||
		docker network create "$name-proxy" >/dev/null
}

# Brings bench stack NAME up (rendering it first).
up_stack() {
	prepare_stack "$1"
	"$BIN" up "$(root_of "$1")/spec.yaml" --timeout 300 2>&1 | tail -1 >&2
}

# psql -At -c SQL in bench stack NAME's database container.
psql_in() {
	docker exec "$1-db" psql -v ON_ERROR_STOP=1 -U app_user -d app_db -At -c "$2"
}

# Grows table `items` of stack NAME's database until the database is BYTES large.
fill_db() {
	local name=$1 target=$2 size rows batch
	psql_in "$name" "CREATE TABLE IF NOT EXISTS items (id bigint NOT NULL, a text, b text)" >/dev/null
	while :; do
		size="$(psql_in "$name" "SELECT pg_database_size(current_database())")"
		((size >= target)) && break
		rows="$(psql_in "$name" "SELECT coalesce(max(id), 0) FROM items")"
		batch=$(((target - size) / 100 + 1000))
		((batch > 2000000)) && batch=2000000
		log "$name: $((size >> 20)) MiB, inserting $batch rows"
		psql_in "$name" "INSERT INTO items SELECT g, md5(g::text), md5((g * 7)::text)
			FROM generate_series($((rows + 1)), $((rows + batch))) g" >/dev/null
	done
	log "$name: database is $((size >> 20)) MiB"
}

# Removes bench stack NAME's containers and networks, its proxy network too (its data
# stays unless WIPE=1).
down_stack() {
	local name=$1 root
	root="$(root_of "$name")"
	if [[ -f "$root/spec.yaml" ]]; then
		"$BIN" down "$root/spec.yaml" --networks --timeout 10 >/dev/null 2>&1 || true
	fi
	if [[ -f "$root/docker-compose.yml" ]]; then
		(cd "$root" && docker compose down --remove-orphans -t 10 >/dev/null 2>&1) || true
	fi
	docker network rm "$name-proxy" >/dev/null 2>&1 || true
	if [[ "${WIPE:-0}" == 1 ]]; then
		rm -rf "$root"
	fi
}
