#!/usr/bin/env bash
# Make sure a Docker engine answers on the default socket, starting one when none does.
#
#   ./scripts/start-docker.sh
#
# A fresh CI machine may boot without the daemon running (stop 24's CI run stopped at
# "Cannot connect to the Docker daemon"), so the test command starts the engine itself, as
# it installs packages and builds images. Order of attempts:
#   1. the engine already answers: nothing to do;
#   2. `dockerd` with the machine's own /etc/docker/daemon.json;
#   3. if that daemon exits (a storage driver this kernel lacks, typically), `dockerd` again
#      with a private copy of that configuration whose storage driver is left to the engine,
#      then with `vfs`, the driver that works everywhere (slow, but correct).
# The daemon runs detached (setsid) with its log in /var/log/banatie-infra-dockerd.log; the
# last lines of that log are printed when every attempt fails, and the script exits 1.
set -euo pipefail

LOG=/var/log/banatie-infra-dockerd.log
WAIT_SECONDS="${BANATIE_DOCKER_WAIT:-60}"
SYSTEM_CONFIG=/etc/docker/daemon.json

log() { printf '[start-docker] %s\n' "$*" >&2; }

answers() { docker info >/dev/null 2>&1; }

# start_daemon [dockerd args...]: starts dockerd detached and waits until it answers.
# Returns 1 when the daemon exits or does not answer in time (it is then stopped).
start_daemon() {
    log "starting dockerd $*"
    setsid nohup dockerd "$@" >>"$LOG" 2>&1 </dev/null &
    local pid=$! waited=0
    while ((waited < WAIT_SECONDS)); do
        if answers; then
            log "engine answers (dockerd pid $pid, after ${waited}s)"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "dockerd exited"
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "dockerd did not answer within ${WAIT_SECONDS}s; stopping it"
    kill "$pid" 2>/dev/null || true
    sleep 2
    return 1
}

# private_config DRIVER: a copy of the system configuration with its storage driver set to
# DRIVER ("" removes it). Printed path; the system's file is never changed.
private_config() {
    local driver="$1" out
    out="$(mktemp /tmp/banatie-daemon.XXXXXX.json)"
    python3 - "$SYSTEM_CONFIG" "$out" "$driver" <<'PY'
import json, os, sys
src, out, driver = sys.argv[1:4]
config = {}
if os.path.exists(src):
    with open(src) as f:
        config = json.load(f)
config.pop("storage-driver", None)
if driver:
    config["storage-driver"] = driver
with open(out, "w") as f:
    json.dump(config, f)
PY
    printf '%s\n' "$out"
}

if answers; then
    log "engine already answers"
    exit 0
fi
command -v dockerd >/dev/null || { log "ERROR: dockerd is not installed"; exit 1; }
# A daemon killed earlier can leave its pid file behind, and dockerd refuses to start then.
rm -f /var/run/docker.pid

if start_daemon; then exit 0; fi
if start_daemon --config-file "$(private_config "")"; then exit 0; fi
if start_daemon --config-file "$(private_config vfs)"; then exit 0; fi

log "ERROR: no Docker engine could be started; the last lines of $LOG:"
tail -n 30 "$LOG" >&2 || true
exit 1
