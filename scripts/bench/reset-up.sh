#!/usr/bin/env bash
# Resets the cold-`up` bench stack before each timed run: removes its containers (created
# by banatie-infra or by Compose) and its own network, wipes its data directories and
# makes sure its external proxy network exists.
#
#   scripts/bench/reset-up.sh BIN ROOT
set -euo pipefail
bin=$1 root=$2
name="$(basename "$root")"
"$bin" down "$root/spec.yaml" --networks --timeout 10 >/dev/null 2>&1
(cd "$root" && docker compose down --remove-orphans -t 10 >/dev/null 2>&1) || true
rm -rf "$root/data" "$root/backups"
docker network inspect "$name-proxy" >/dev/null 2>&1 ||
	docker network create "$name-proxy" >/dev/null
sync
