#!/usr/bin/env bash
# Smoke test of the images testimages/build.sh builds: starts each one on a user-defined
# bridge network, waits until it is ready and checks what the integration tests rely on.
# Everything it creates (containers, the network, a temporary directory) carries the
# label org.banatie-infra.smoke=<run id> and is removed on exit, failure included.
#
# Usage: testimages/smoke.sh [postgres] [http] [job] [s3]   (default: all)
# Exit 0 when every check passes, 1 otherwise.
set -euo pipefail

RUN="banatie-smoke-$$"
LABEL="org.banatie-infra.smoke=$RUN"
NET="$RUN-net"
PG_IMAGE=banatie-test/postgres:15
HTTP_IMAGE=banatie-test/http:1
JOB_IMAGE=banatie-test/job:1
S3_IMAGE=banatie-test/s3:1
TMP=
FAILED=0
CHECKS=0

log() { printf '[smoke] %s\n' "$*" >&2; }
ok() {
	CHECKS=$((CHECKS + 1))
	printf 'ok %d - %s\n' "$CHECKS" "$*"
}
fail() {
	CHECKS=$((CHECKS + 1))
	FAILED=$((FAILED + 1))
	printf 'not ok %d - %s\n' "$CHECKS" "$*"
}
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	local what="$1"
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
# refused DESCRIPTION PATTERN COMMAND...: ok when COMMAND fails and its output (stdout and
# stderr) matches the extended regular expression PATTERN.
refused() {
	local what="$1" pattern="$2" out
	shift 2
	if out="$("$@" 2>&1)"; then
		fail "$what (it succeeded: $out)"
	elif grep -Eq -- "$pattern" <<<"$out"; then
		ok "$what"
	else
		fail "$what (no /$pattern/ in: $out)"
	fi
}

cleanup() {
	local ids
	ids="$(docker ps -aq --filter "label=$LABEL")"
	if [[ -n "$ids" ]]; then
		# shellcheck disable=SC2086 # one ID per word
		docker rm -f -v $ids >/dev/null 2>&1 || true
	fi
	docker network rm "$NET" >/dev/null 2>&1 || true
	if [[ -n "$TMP" ]]; then
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NAME ALIAS [docker run options...] IMAGE [command...]: a detached container on $NET.
run() {
	local name="$RUN-$1" alias="$2"
	shift 2
	docker run -d --name "$name" --label "$LABEL" --network "$NET" --network-alias "$alias" "$@" >/dev/null
}
# once IMAGE-AND-ARGS...: a labelled, removed-on-exit container on $NET, in the foreground.
once() { docker run --rm -i --label "$LABEL" --network "$NET" "$@"; }

# wait_for SECONDS CONTAINER COMMAND...: until `docker exec CONTAINER COMMAND` succeeds;
# fails early when the container stops.
wait_for() {
	local deadline=$((SECONDS + $1)) container="$RUN-$2"
	shift 2
	until docker exec "$container" "$@" >/dev/null 2>&1; do
		if [[ "$(docker inspect -f '{{ .State.Running }}' "$container" 2>/dev/null)" != true ]]; then
			log "$container stopped; its log:"
			docker logs --tail 40 "$container" >&2 || true
			return 1
		fi
		if ((SECONDS >= deadline)); then
			log "$container: not ready after the timeout; its log:"
			docker logs --tail 40 "$container" >&2 || true
			return 1
		fi
		sleep 0.5
	done
}

# ---------------------------------------------------------------------------------------

smoke_postgres() {
	local user=banatie db=banatie_db password='s3cret pass' out start took
	log "postgres: $PG_IMAGE"
	mkdir -m 0755 "$TMP/initdb" "$TMP/dump"
	chmod 0777 "$TMP/dump"
	cat >"$TMP/initdb/01-schema.sql" <<-'EOF'
		CREATE TABLE smoke_init (id integer PRIMARY KEY, note text NOT NULL);
		INSERT INTO smoke_init VALUES (1, 'from 01-schema.sql');
	EOF
	# Not executable: sourced by the entrypoint, so its functions are at hand.
	cat >"$TMP/initdb/02-more.sh" <<-'EOF'
		docker_process_sql -c "INSERT INTO smoke_init VALUES (2, 'from 02-more.sh as ' || current_user)"
	EOF
	chmod 0644 "$TMP/initdb"/*

	refused "postgres: refuses to initialise without POSTGRES_PASSWORD" 'superuser password is not specified' \
		docker run --rm --label "$LABEL" "$PG_IMAGE"

	run pg pg -e POSTGRES_USER="$user" -e POSTGRES_PASSWORD="$password" -e POSTGRES_DB="$db" \
		-v "$TMP/initdb:/docker-entrypoint-initdb.d:ro" "$PG_IMAGE"
	# TCP answers only once the init is over (the temporary server is unix-socket only).
	check "postgres: pg_isready over TCP within 90 s" \
		wait_for 90 pg pg_isready -q -h 127.0.0.1 -p 5432 -U "$user" -d "$db"
	# shellcheck disable=SC2016 # expanded in the container
	check "postgres: the server is PID 1, user postgres" \
		docker exec "$RUN-pg" sh -c '[ "$(cat /proc/1/comm)" = postgres ] && [ "$(stat -c %U /proc/1)" = postgres ]'
	check "postgres: the init process completed" \
		bash -c "docker logs '$RUN-pg' 2>&1 | grep -q 'PostgreSQL init process complete'"

	out="$(once -e PGPASSWORD="$password" "$PG_IMAGE" psql -h pg -U "$user" -d "$db" -v ON_ERROR_STOP=1 -Atc \
		"SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
		        (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()),
		        (SELECT string_agg(note, ',' ORDER BY id) FROM smoke_init),
		        (SELECT auth_method FROM pg_hba_file_rules WHERE database = '{all}' AND address = 'all')" 2>&1)" ||
		true
	check "postgres: psql over TCP as POSTGRES_USER with POSTGRES_PASSWORD (got: $out)" \
		test "$out" = "$user|t|$user|from 01-schema.sql,from 02-more.sh as $user|scram-sha-256"

	refused "postgres: a wrong password is refused" 'password authentication failed for user "banatie"' \
		once -e PGPASSWORD=wrong "$PG_IMAGE" psql -h pg -U "$user" -d "$db" -c 'SELECT 1'
	refused "postgres: no password is refused over TCP" 'no password supplied' \
		once "$PG_IMAGE" psql -h pg -U "$user" -d "$db" -w -c 'SELECT 1'

	check "postgres: pg_dump -Fc, pg_restore into a new database" \
		once -e PGPASSWORD="$password" -e PGHOST=pg -e PGUSER="$user" -v "$TMP/dump:/dump" "$PG_IMAGE" bash -ec "
			pg_dump -Fc -d $db -f /dump/db.dump
			pg_restore --list /dump/db.dump | grep -q 'TABLE public smoke_init'
			createdb restored
			pg_restore -d restored --no-owner /dump/db.dump
			test \"\$(psql -d restored -Atc 'SELECT count(*) FROM smoke_init')\" = 2
		"
	check "postgres: the dump is a custom-format archive" bash -c "head -c 5 '$TMP/dump/db.dump' | grep -q PGDMP"

	start=$SECONDS
	docker stop -t 30 "$RUN-pg" >/dev/null
	took=$((SECONDS - start))
	check "postgres: docker stop (SIGINT, fast shutdown) within 5 s, exit 0 (took ${took} s)" \
		test "$took" -lt 5 -a "$(docker inspect -f '{{ .State.ExitCode }}' "$RUN-pg")" = 0
	docker start "$RUN-pg" >/dev/null
	check "postgres: a restart reuses the data directory" wait_for 60 pg pg_isready -q -h 127.0.0.1 -U "$user" -d "$db"
	check "postgres: ... and skips initialization" \
		bash -c "docker logs '$RUN-pg' 2>&1 | grep -q 'Skipping initialization'"
}

smoke_http() {
	log "http: $HTTP_IMAGE"
	run web web "$HTTP_IMAGE"
	check "http: GET /health answers within 20 s (docker exec wget)" \
		wait_for 20 web wget -q -O /dev/null http://127.0.0.1:3000/health
	check "http: GET / answers 200 with the index page" \
		bash -c "docker exec '$RUN-web' wget -q -O- http://127.0.0.1:3000/ | grep -q 'banatie-test/http:1 is up'"
	check "http: GET http://localhost:3000/health (BusyBox wget tries ::1 first)" \
		docker exec "$RUN-web" wget -q -O /dev/null http://localhost:3000/health
	check "http: reachable by its network alias from another container" \
		once "$JOB_IMAGE" wget -q -O /dev/null http://web:3000/health
	check "http: runs as UID 1001" test "$(docker exec "$RUN-web" id -u)" = 1001
	check "http: ships sh and wget, not curl nor node" \
		docker exec "$RUN-web" sh -c '{ command -v wget && command -v sh && ! command -v curl && ! command -v node; } >/dev/null'
	check "http: docker stop within 5 s" bash -c "s=\$SECONDS; docker stop -t 30 '$RUN-web' >/dev/null; (( SECONDS - s < 5 ))"

	run web-port web-port -e PORT=8080 "$HTTP_IMAGE"
	check "http: PORT=8080 is honoured" wait_for 20 web-port wget -q -O /dev/null http://127.0.0.1:8080/health

	run web-sick web-sick -e FAIL_HEALTH=1 "$HTTP_IMAGE"
	check "http: FAIL_HEALTH=1 still serves /" wait_for 20 web-sick wget -q -O /dev/null http://127.0.0.1:3000/
	refused "http: FAIL_HEALTH=1 makes /health 404" '404 Not Found' \
		docker exec "$RUN-web-sick" wget -q -O /dev/null http://127.0.0.1:3000/health
}

smoke_job() {
	local out rc
	log "job: $JOB_IMAGE"
	out="$(docker run --name "$RUN-job" --label "$LABEL" --network "$NET" "$JOB_IMAGE" 2>&1)" && rc=0 || rc=$?
	check "job: the default command exits 0 and prints 'job done' (rc $rc)" test "$rc" = 0 -a "$out" = "job done"
	check "job: the exit code is recorded" test "$(docker inspect -f '{{ .State.ExitCode }}' "$RUN-job")" = 0
	docker run --name "$RUN-job-fail" --label "$LABEL" --network "$NET" "$JOB_IMAGE" sh -c 'exit 3' && rc=0 || rc=$?
	check "job: sh -c 'exit 3' exits 3 (rc $rc)" test "$rc" = 3 -a \
		"$(docker inspect -f '{{ .State.ExitCode }}' "$RUN-job-fail")" = 3
}

smoke_s3() {
	local out
	log "s3: $S3_IMAGE"
	run s3 s3 "$S3_IMAGE"
	check "s3: wget -q --spider http://127.0.0.1:9000/moto-api/ within 60 s" \
		wait_for 60 s3 wget -q --spider http://127.0.0.1:9000/moto-api/
	# boto3 comes with moto: the image is its own client, over the network alias.
	out="$(once --entrypoint python "$S3_IMAGE" - <<-'EOF' 2>&1
		import boto3
		from botocore.config import Config
		s3 = boto3.client("s3", endpoint_url="http://s3:9000", region_name="us-east-1",
		                  aws_access_key_id="smoke", aws_secret_access_key="smoke-secret",
		                  config=Config(s3={"addressing_style": "path"}))
		s3.create_bucket(Bucket="smoke-bucket")
		s3.put_object(Bucket="smoke-bucket", Key="dir/object.txt", Body=b"hello from smoke")
		body = s3.get_object(Bucket="smoke-bucket", Key="dir/object.txt")["Body"].read()
		names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
		keys = [o["Key"] for o in s3.list_objects_v2(Bucket="smoke-bucket")["Contents"]]
		print(body.decode(), names, keys)
		# Presigned SigV4 URLs, as banatie-infra's backup reads a bucket (rusty-s3, path style).
		with open("/tmp/presigned", "w") as f:
		    for op, params in (("list_objects_v2", {"Bucket": "smoke-bucket"}),
		                       ("get_object", {"Bucket": "smoke-bucket", "Key": "dir/object.txt"})):
		        f.write(s3.generate_presigned_url(op, Params=params, ExpiresIn=600) + "\n")
		import subprocess
		for url in open("/tmp/presigned").read().split():
		    out = subprocess.run(["wget", "-q", "-O-", url], check=True, capture_output=True).stdout
		    print("presigned", len(out) > 0, b"dir/object.txt" in out or out == b"hello from smoke")
	EOF
	)" || true
	check "s3: create bucket, put, get and list objects with boto3; presigned list and get with wget (got: $(tr '\n' ';' <<<"$out"))" \
		test "$out" = "hello from smoke ['smoke-bucket'] ['dir/object.txt']
presigned True True
presigned True True"
	check "s3: docker stop within 5 s" bash -c "s=\$SECONDS; docker stop -t 30 '$RUN-s3' >/dev/null; (( SECONDS - s < 5 ))"
}

# ---------------------------------------------------------------------------------------

main() {
	local images=() image
	for image in "$@"; do
		case "$image" in
		postgres | http | job | s3) images+=("$image") ;;
		*)
			log "unknown image: $image (postgres http job s3)"
			exit 2
			;;
		esac
	done
	((${#images[@]})) || images=(postgres http job s3)
	for image in "$PG_IMAGE" "$HTTP_IMAGE" "$JOB_IMAGE" "$S3_IMAGE"; do
		docker image inspect "$image" >/dev/null 2>&1 || {
			log "$image is missing: run testimages/build.sh first"
			exit 1
		}
	done
	TMP="$(mktemp -d /tmp/banatie-smoke.XXXXXX)"
	chmod 0755 "$TMP"
	docker network create --label "$LABEL" "$NET" >/dev/null
	local start=$SECONDS
	for image in "${images[@]}"; do
		"smoke_$image"
	done
	log "$((CHECKS - FAILED))/$CHECKS checks passed in $((SECONDS - start)) s"
	((FAILED == 0))
}

main "$@"
