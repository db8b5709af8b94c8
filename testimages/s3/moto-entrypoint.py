#!/opt/moto/bin/python3
"""Entrypoint of banatie-test/s3:1: `moto_server ARGS...` (default -H 0.0.0.0 -p 9000).

It also accepts MinIO's own command line, so the stand-in can play a `minio` service of a
spec exactly as rendered: `server /data{1...4} --address :9000 --console-address :9001`
starts moto on the `--address` port (the data directories and the console are ignored:
moto keeps objects in memory). The port is written to /tmp/s3-port for the `mc ready
local` shim (/usr/local/bin/mc), the only `mc` command this image answers.

As PID 1, Python would ignore SIGTERM (no handler), and `docker stop` would wait 10 s for
SIGKILL: exit on SIGTERM/SIGINT instead.
"""
import signal
import sys


def _stop(signum, frame):
    sys.exit(0)


signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)


def _args(argv):
    if not argv or argv[0] != "server":
        return argv
    port = "9000"
    for i, a in enumerate(argv):
        if a == "--address" and i + 1 < len(argv):
            port = argv[i + 1].rsplit(":", 1)[-1] or "9000"
    return ["-H", "0.0.0.0", "-p", port]


args = _args(sys.argv[1:])
port = args[args.index("-p") + 1] if "-p" in args else "5000"
with open("/tmp/s3-port", "w") as f:
    f.write(port)

from moto.server import main  # noqa: E402

sys.exit(main(args))
