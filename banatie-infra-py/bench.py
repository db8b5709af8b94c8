"""Render of examples/banatie.yaml from Python against the Rust core in the same process.

    python banatie-infra-py/bench.py [ITERATIONS] [ROUNDS]

Python side: ``spec.render()`` on a loaded Spec, timed with ``time.perf_counter`` (the
call, the GIL release around the core, and the conversion of every file to ``bytes`` in
a ``dict``). Rust side: ``_bench_render_rust(spec, n)``, the same core call ``n`` times
inside Rust, timed with ``std::time::Instant``. Same machine, same run, interleaved
rounds; the best round of each is compared. Target: Python at most 1.3x Rust.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path

import banatie_infra

native = importlib.import_module("banatie_infra.banatie_infra")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "banatie.yaml"
TARGET = 1.3


def python_round(spec: banatie_infra.Spec, n: int) -> float:
    render = spec.render
    start = time.perf_counter()
    for _ in range(n):
        render()
    return time.perf_counter() - start


def rust_round(spec: banatie_infra.Spec, n: int) -> float:
    return float(native._bench_render_rust(spec, n))


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    spec = banatie_infra.load(EXAMPLE)
    files = spec.render()
    python_round(spec, max(n // 10, 1))  # warm-up: caches, allocator, runtime
    rust_round(spec, max(n // 10, 1))
    py_times, rust_times = [], []
    for _ in range(rounds):
        py_times.append(python_round(spec, n) / n)
        rust_times.append(rust_round(spec, n) / n)
    py, rust = min(py_times), min(rust_times)
    ratio = py / rust
    size = sum(len(b) for b in files.values())
    print(f"banatie_infra {banatie_infra.__version__}, Python {platform.python_version()}, {platform.machine()}")
    print(f"render {EXAMPLE.name}: {len(files)} files, {size} bytes; {n} calls x {rounds} rounds (best round)")
    print(f"  Rust core in-process : {rust * 1e6:9.1f} us/call")
    print(f"  Python spec.render() : {py * 1e6:9.1f} us/call")
    print(f"  ratio Python/Rust    : {ratio:9.3f}x (target <= {TARGET}x)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
