#!/opt/moto/bin/python3
"""Entrypoint of banatie-test/s3:1: `moto_server ARGS...` (default -H 0.0.0.0 -p 9000).

As PID 1, Python would ignore SIGTERM (no handler), and `docker stop` would wait 10 s for
SIGKILL: exit on SIGTERM/SIGINT instead.
"""
import signal
import sys


def _stop(signum, frame):
    sys.exit(0)


signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)

from moto.server import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
