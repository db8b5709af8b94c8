#!/usr/bin/env python3
"""Deploys under load through a real Caddy: `banatie-infra deploy` against
`docker compose up -d --force-recreate`, 10 updates each, in one run (issue 15's
benchmarks). Not part of the test command: scripts/bench.sh runs it.

    scripts/bench/deploy.py [--bin target/release/banatie-infra] [--deploys 10] [--warm-up 2]

The stack: one app (the BusyBox httpd test image) that listens `--warm-up` seconds after
its start and serves its release at /release, behind Caddy (Debian's binary in a locally
built image, `banatie-test/caddy-debian:1`) on the proxy network with the site block
`render` wrote (its address made plain HTTP). A thread sends sequential `GET /` through
Caddy for the whole run and records every answer; another polls `GET /release`.

Measured per tool: requests, failed requests (non-2xx or connection errors), seconds of
failures (from a first failure to the next success), and for each update the time from
starting the command to the new release answering through Caddy. For `deploy` that time
less the new container's own time to healthy (what `deploy` reports on its `switched`
line) is its overhead; target <= 2 s. Prints `RESULT` lines (tab-separated: name, ours,
peer, ratio, target) for scripts/bench.sh.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CADDY_IMAGE = "banatie-test/caddy-debian:1"


def sh(*args: str, check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(args, text=True, capture_output=True, **kw)  # type: ignore[call-overload]
    if check and r.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def caddy_image(work: Path) -> None:
    ctx = work / "caddy-ctx"
    ctx.mkdir()
    shutil.copy("/usr/bin/caddy", ctx / "caddy")
    (ctx / "Dockerfile").write_text(
        "FROM banatie-test/postgres:15\nCOPY caddy /usr/bin/caddy\nUSER root\nENTRYPOINT [\"/usr/bin/caddy\"]\n"
    )
    sh("docker", "build", "-q", "-t", CADDY_IMAGE, str(ctx), env={**os.environ, "DOCKER_BUILDKIT": "0"})


def spec_text(p: str, root: Path, release: int, warm_up: float) -> str:
    start = f"sleep {warm_up}; echo {release} > /www/release; exec /entrypoint.sh"
    return f"""stack:
  name: "{p}"
  root: "{root}"
  userns_remap: {{ enabled: false }}
proxy:
  network: "{p}-proxy"
networks:
  "{p}-internal": {{ internal: true }}
  "{p}-proxy": {{ external: true }}
services:
  "{p}-api":
    kind: app
    image: banatie-test/http:1
    base_image: busybox:1.36
    uid: 1001
    port: 3000
    health_path: /health
    command: [sh, -c, "{start}"]
    environment: {{ PORT: "3000", RELEASE: "{release}" }}
    networks: ["{p}-internal", "{p}-proxy"]
    stop_grace_period: 2s
    health: {{ interval: 1s, timeout: 1s, start_period: 60s }}
sites:
  - domains: ["{p}-api.example.org"]
    service: "{p}-api"
"""


def get(port: int, host: str, path: str) -> tuple[int, str]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        c.request("GET", path, headers={"Host": host, "Connection": "close"})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace").strip()
    finally:
        c.close()


class Load:
    """Sequential requests through Caddy, every answer recorded as (time, ok)."""

    def __init__(self, port: int, host: str) -> None:
        self.port, self.host = port, host
        self.samples: list[tuple[float, bool, float]] = []
        self.release: tuple[float, str] = (0.0, "")
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.load), threading.Thread(target=self.poll)]
        for t in self.threads:
            t.start()

    def load(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                ok = get(self.port, self.host, "/")[0] == 200
            except OSError:
                ok = False
            self.samples.append((time.monotonic(), ok, time.monotonic() - began))
            time.sleep(0.01)

    def poll(self) -> None:
        while not self.stop.is_set():
            try:
                status, body = get(self.port, self.host, "/release")
                if status == 200 and body != self.release[1]:
                    self.release = (time.monotonic(), body)
            except OSError:
                pass
            time.sleep(0.02)

    def serving_since(self, release: int, since: float, limit: float = 120) -> float:
        """Seconds from `since` until `release` answers through Caddy."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            at, body = self.release
            if body == str(release) and at >= since:
                return at - since
            time.sleep(0.01)
        sys.exit(f"release {release} never answered")

    def window(self, t0: float, t1: float) -> tuple[int, int, float, float]:
        """(requests, failures, seconds of failures, slowest answer in seconds) between
        t0 and t1: a request Caddy held while it retried counts as slow, not failed."""
        s = [x for x in self.samples if t0 <= x[0] <= t1]
        failed = sum(1 for _, ok, _ in s if not ok)
        slowest = max((d for _, _, d in s), default=0.0)
        down, first_bad = 0.0, None
        for at, ok, _ in s:
            if not ok and first_bad is None:
                first_bad = at
            elif ok and first_bad is not None:
                down += at - first_bad
                first_bad = None
        if first_bad is not None:
            down += t1 - first_bad
        return len(s), failed, down, slowest

    def end(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(REPO / "target/release/banatie-infra"))
    ap.add_argument("--deploys", type=int, default=10)
    # Longer than the rendered site block's lb_try_duration (10 s): an app that is down
    # for longer than Caddy retries shows as 502s, a shorter one as held requests.
    ap.add_argument("--warm-up", type=float, default=12.0)
    a = ap.parse_args()
    p = f"bench-deploy-{os.getpid():x}"
    work = Path(tempfile.mkdtemp(prefix=f"{p}-", dir="/var/tmp"))
    root = work / "root"
    root.mkdir()
    spec = root / "spec.yaml"
    caddy_image(work)
    sh("docker", "network", "create", f"{p}-proxy")
    load = None
    try:
        def write(release: int) -> None:
            spec.write_text(spec_text(p, root, release, a.warm_up))
            sh(a.bin, "render", str(spec), "--root", str(root))

        write(0)
        sh(a.bin, "secrets", str(spec), "--root", str(root))
        sh(a.bin, "up", str(spec), "--pull", "never")
        host = f"{p}-api.example.org"
        rendered = (root / "caddy/Caddyfile").read_text()
        main_file = work / "Caddyfile"
        main_file.write_text("{\n\tadmin off\n\tauto_https off\n}\n" + rendered.replace(f"{host} {{", f"http://{host}:8080 {{"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        sh("docker", "run", "-d", "--name", f"{p}-caddy", "--network", f"{p}-proxy",
           "-p", f"127.0.0.1:{port}:8080", "-v", f"{main_file}:/etc/caddy/Caddyfile:ro",
           "-v", f"{root}/logs:{root}/logs", CADDY_IMAGE, "run", "--config", "/etc/caddy/Caddyfile",
           "--adapter", "caddyfile")
        for _ in range(200):
            try:
                if get(port, host, "/")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        load = Load(port, host)
        results = {}

        # banatie-infra deploy, start-first.
        t0, serve, over = time.monotonic(), [], []
        for i in range(1, a.deploys + 1):
            write(i)
            start = time.monotonic()
            r = sh(a.bin, "deploy", str(spec), "--drain", "1s", "--pull", "never")
            serve.append(load.serving_since(i, start))
            m = re.search(r"the new container is ready \(([\d.]+)s\)", r.stderr)
            healthy = float(m.group(1)) if m else 0.0
            # From the command's start: the container's warm-up and its own time to
            # healthy are the app's; what is left is the tool's.
            over.append(serve[-1] - healthy)
        time.sleep(0.5)
        results["deploy"] = (*load.window(t0, time.monotonic()), serve, over)

        # docker compose up -d --force-recreate on the same bundle.
        sh(a.bin, "down", str(spec), "--networks")
        compose = ["docker", "compose", "--project-directory", str(root), "-f", str(root / "docker-compose.yml")]
        sh(*compose, "up", "-d", "--wait")
        load.serving_since(a.deploys, 0)
        t0, serve = time.monotonic(), []
        for i in range(a.deploys + 1, 2 * a.deploys + 1):
            write(i)
            start = time.monotonic()
            sh(*compose, "up", "-d", "--force-recreate", "--no-deps", f"{p}-api")
            serve.append(load.serving_since(i, start))
        time.sleep(0.5)
        results["compose"] = (*load.window(t0, time.monotonic()), serve, [])
        sh(*compose, "down", "--timeout", "2", check=False)
    finally:
        if load:
            load.end()
        sh("docker", "rm", "-f", f"{p}-caddy", check=False)
        ids = sh("docker", "ps", "-aq", "--filter", f"label=io.banatie-infra.stack={p}", check=False).stdout.split()
        if ids:
            sh("docker", "rm", "-f", *ids, check=False)
        sh("docker", "network", "rm", f"{p}-proxy", f"{p}-internal", check=False)
        shutil.rmtree(work, ignore_errors=True)

    print(f"app warm-up {a.warm_up:g} s, {a.deploys} updates per tool")
    print(f"{'tool':<40} {'requests':>9} {'failed':>7} {'s failing':>10} {'slowest':>8} {'to serving (median, max)':>26}")
    for name, label in (("deploy", "banatie-infra deploy"), ("compose", "docker compose up -d --force-recreate")):
        n, failed, down, slowest, serve, _ = results[name]
        print(f"{label:<40} {n:>9} {failed:>7} {down:>10.1f} {slowest:>7.1f}s {statistics.median(serve):>12.2f}s {max(serve):>11.2f}s")
    over = results["deploy"][5]
    print(f"deploy's overhead beyond the new container's time to healthy: median {statistics.median(over):.2f}s, max {max(over):.2f}s (target <= 2 s)")
    d, c = results["deploy"], results["compose"]
    print("\t".join(["RESULT", f"{a.deploys} updates under load through Caddy: failed requests",
                     f"{d[1]} of {d[0]}", f"{c[1]} of {c[0]} ({c[2]:.1f} s failing)", "-", "0 (compose: its count)"]))
    print("\t".join(["RESULT", "deploy: to serving beyond time to healthy (max)", f"{max(over):.2f} s", "-", "-", "<= 2 s"]))
    print(json.dumps({k: {"requests": v[0], "failed": v[1], "seconds_failing": round(v[2], 2)} for k, v in results.items()}), file=sys.stderr)


if __name__ == "__main__":
    main()
