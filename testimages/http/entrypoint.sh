#!/bin/sh
# Entrypoint of banatie-test/http:1 (BusyBox). Without arguments it serves /www with
# BusyBox httpd on ${PORT:-3000}: GET / and GET /health answer 200. FAIL_HEALTH=1 removes
# /www/health first, so /health answers 404 (a service that never becomes healthy).
# With arguments it runs them instead (e.g. `docker run banatie-test/http:1 sh -c ...`).
set -eu
if [ "${FAIL_HEALTH:-0}" = 1 ]; then
	rm -f /www/health
fi
if [ "$#" -eq 0 ]; then
	# httpd as PID 1 would ignore SIGTERM (no handler): keep this shell as PID 1 and let
	# its trap stop httpd, so `docker stop` returns at once instead of after 10 s.
	httpd -f -p "${PORT:-3000}" -h /www &
	pid=$!
	trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM INT
	wait "$pid"
	exit $?
fi
exec "$@"
