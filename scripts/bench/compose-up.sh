#!/usr/bin/env bash
# The Compose baseline of the cold-`up` benchmark: `docker compose up -d --wait` in the
# deployment root ROOT, until every service is healthy (or, for the one-shot job,
# exited 0).
#
#   scripts/bench/compose-up.sh ROOT NOTE_FILE
#
# Some Compose versions exit non-zero under --wait once a one-shot job has finished. When
# that happens the time to all-healthy is measured another way: `up -d` has already
# started everything, so `docker compose ps -a --format json` is polled every 100 ms until
# every service is healthy or exited 0. Which of the two measured the run is appended to
# NOTE_FILE ("wait" or "poll").
set -uo pipefail
root=$1 note=$2
cd "$root" || exit 2

if docker compose up -d --wait >/dev/null 2>&1; then
	echo wait >>"$note"
	exit 0
fi

# Fallback: poll until every service is healthy, or a job exited 0.
echo poll >>"$note"
for _ in $(seq 1 3000); do
	if docker compose ps -a --format json 2>/dev/null | python3 -c '
import json, sys
text = sys.stdin.read().strip()
rows = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l]
ok = bool(rows) and all(
    r.get("Health") == "healthy"
    or (not r.get("Health") and r.get("State") == "exited" and r.get("ExitCode") == 0)
    for r in rows)
sys.exit(0 if ok else 1)'; then
		exit 0
	fi
	sleep 0.1
done
echo "compose: not all healthy after 300 s" >&2
exit 1
