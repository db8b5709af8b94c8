#!/usr/bin/env bash
# Entrypoint of banatie-test/postgres:15: the behaviour of the official `postgres` image's
# docker-entrypoint.sh that the integration tests rely on, for Debian's postgresql-15.
#
#   POSTGRES_USER      bootstrap superuser (default: postgres), created by initdb
#   POSTGRES_PASSWORD  its password; required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_DB        database created and owned by POSTGRES_USER (default: POSTGRES_USER)
#   POSTGRES_HOST_AUTH_METHOD  auth for host connections (default: scram-sha-256)
#   POSTGRES_INITDB_ARGS       extra initdb arguments (word-split, quotes honoured)
#   PGDATA             data directory (default: /var/lib/postgresql/data)
#   Each of POSTGRES_PASSWORD, POSTGRES_USER, POSTGRES_DB, POSTGRES_INITDB_ARGS may be
#   given as <VAR>_FILE, the path of a file holding the value (Docker secrets).
#
# On an empty data directory: initdb, then a temporary server on the unix socket only
# (listen_addresses=''), the database, /docker-entrypoint-initdb.d/* in C order (*.sql and
# *.sql.gz with psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname
# "$POSTGRES_DB"; *.sh executed if executable, sourced otherwise), stop, then `exec
# postgres` (PID 1, as user postgres, listening on '*' port 5432).
set -Eeo pipefail

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE.
file_env() {
	local var="$1" file_var="${1}_FILE" def="${2:-}" val
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
		exit 1
	fi
	val="$def"
	if [ -n "${!var:-}" ]; then
		val="${!var}"
	elif [ -n "${!file_var:-}" ]; then
		val="$(<"${!file_var}")"
	fi
	export "$var"="$val"
	unset "$file_var"
}

docker_setup_env() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${PGDATA:=/var/lib/postgresql/data}"
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	export PGDATA POSTGRES_HOST_AUTH_METHOD
	DATABASE_ALREADY_EXISTS=
	if [ -s "$PGDATA/PG_VERSION" ]; then
		DATABASE_ALREADY_EXISTS=true
	fi
}

docker_create_db_directories() {
	local user
	user="$(id -u)"
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || :
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [ "$user" = 0 ]; then
		find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres: '{}' +
	fi
}

docker_verify_minimum_env() {
	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.
		EOE
		exit 1
	fi
	if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
		cat >&2 <<-'EOWARN'
			********************************************************************************
			WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust". This will allow
			         anyone with access to the Postgres port to access your database without
			         a password, even if POSTGRES_PASSWORD is set.
			********************************************************************************
		EOWARN
	fi
}

# initdb as the current (postgres) user; the bootstrap superuser is $POSTGRES_USER.
docker_init_database_dir() {
	local pwfile=''
	if [ -n "$POSTGRES_PASSWORD" ]; then
		# A process substitution lives as long as its command: it must be in the eval'd
		# initdb line itself. (--pwfile refuses an empty file, hence the newline.)
		# shellcheck disable=SC2016
		pwfile='--pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD")'
	fi
	# eval: POSTGRES_INITDB_ARGS may hold quoted words, as with the official image.
	eval 'initdb --username="$POSTGRES_USER" --auth-host="$POSTGRES_HOST_AUTH_METHOD" --auth-local=trust '"$pwfile"' '"$POSTGRES_INITDB_ARGS"
}

pg_setup_hba_conf() {
	{
		echo
		if [ "$POSTGRES_HOST_AUTH_METHOD" = trust ]; then
			echo '# warning trust is enabled for all connections'
		fi
		echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
	} >>"$PGDATA/pg_hba.conf"
}

# psql on the unix socket as $POSTGRES_USER, to $POSTGRES_DB unless it is empty.
docker_process_sql() {
	local query_runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [ -n "$POSTGRES_DB" ]; then
		query_runner+=(--dbname "$POSTGRES_DB")
	fi
	PGHOST='' PGHOSTADDR='' "${query_runner[@]}" "$@"
}

docker_setup_db() {
	local exists db="$POSTGRES_DB"
	if [ "$db" != postgres ]; then
		exists="$(
			POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$db" --tuples-only <<-'EOSQL'
				SELECT 1 FROM pg_database WHERE datname = :'db' ;
			EOSQL
		)"
		if [ -z "$exists" ]; then
			POSTGRES_DB='' docker_process_sql --dbname postgres --set db="$db" --set owner="$POSTGRES_USER" <<-'EOSQL'
				CREATE DATABASE :"db" OWNER :"owner" ;
			EOSQL
			echo
		fi
	fi
}

docker_process_init_files() {
	local f
	echo
	for f; do
		case "$f" in
		*.sh)
			if [ -x "$f" ]; then
				printf '%s: running %s\n' "$0" "$f"
				"$f"
			else
				printf '%s: sourcing %s\n' "$0" "$f"
				# shellcheck disable=SC1090
				. "$f"
			fi
			;;
		*.sql)
			printf '%s: running %s\n' "$0" "$f"
			docker_process_sql -f "$f"
			echo
			;;
		*.sql.gz)
			printf '%s: running %s\n' "$0" "$f"
			gunzip -c "$f" | docker_process_sql
			echo
			;;
		*) printf '%s: ignoring %s\n' "$0" "$f" ;;
		esac
	done
}

docker_temp_server_start() {
	if [ "$1" = postgres ]; then
		shift
	fi
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	PGUSER="${PGUSER:-$POSTGRES_USER}" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

docker_temp_server_stop() {
	PGUSER="${PGUSER:-postgres}" pg_ctl -D "$PGDATA" -m fast -w stop
}

# Whether the arguments ask postgres for help or its version (no initialisation then).
_pg_want_help() {
	local arg
	for arg; do
		case "$arg" in
		-'?' | --help | --describe-config | -V | --version) return 0 ;;
		esac
	done
	return 1
}

_main() {
	if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
		set -- postgres "$@"
	fi
	if [ "$1" = postgres ] && ! _pg_want_help "$@"; then
		docker_setup_env
		docker_create_db_directories
		if [ "$(id -u)" = 0 ]; then
			# Re-run this script as postgres; setpriv execs (no fork, unlike su/runuser).
			if [ "${HOME:-/root}" = /root ]; then
				export HOME=/var/lib/postgresql
			fi
			exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
		fi
		if [ -z "$DATABASE_ALREADY_EXISTS" ]; then
			docker_verify_minimum_env
			# Fail early on an unreadable init directory.
			ls /docker-entrypoint-initdb.d/ >/dev/null
			docker_init_database_dir
			pg_setup_hba_conf
			export PGPASSWORD="${PGPASSWORD:-$POSTGRES_PASSWORD}"
			docker_temp_server_start "$@"
			docker_setup_db
			shopt -s nullglob
			docker_process_init_files /docker-entrypoint-initdb.d/*
			shopt -u nullglob
			docker_temp_server_stop
			unset PGPASSWORD
			echo
			echo 'PostgreSQL init process complete; ready for start up.'
			echo
		else
			echo
			echo 'PostgreSQL Database directory appears to contain a database; Skipping initialization'
			echo
		fi
	fi
	exec "$@"
}

_main "$@"
