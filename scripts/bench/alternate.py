#!/usr/bin/env python3
"""Times two commands in alternation (A, B, A, B, ...), each run after a prepare command,
and writes the result in the shape of hyperfine's --export-json (so report.py reads it).

    alternate.py --runs N --prepare CMD --export-json FILE NAME_A CMD_A NAME_B CMD_B

Why not hyperfine: it runs every run of the first command before the second, so a drift
of the machine's speed during the benchmark (a VM's neighbours, the disk's write-back)
lands on one side only. Alternating pairs put both commands under the same conditions;
the report's ratio is the ratio of the medians, and the median of the per-pair ratios is
printed too. A command that exits non-zero stops the benchmark.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

p = argparse.ArgumentParser()
p.add_argument("--runs", type=int, required=True)
p.add_argument("--prepare", required=True)
p.add_argument("--export-json", required=True)
p.add_argument("cmds", nargs=4, metavar="NAME_OR_CMD")
a = p.parse_args()
names, cmds = a.cmds[0::2], a.cmds[1::2]
times = [[], []]
for i in range(a.runs):
    for k in (0, 1):
        subprocess.run(a.prepare, shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.perf_counter()
        r = subprocess.run(cmds[k], shell=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        t = time.perf_counter() - t0
        if r.returncode != 0:
            sys.stderr.write(r.stderr.decode(errors="replace")[-4000:])
            sys.exit(f"alternate.py: `{cmds[k]}` exited with {r.returncode} (run {i + 1})")
        times[k].append(t)
    print(f"  pair {i + 1}/{a.runs}: {names[0]} {times[0][-1]:.2f} s, "
          f"{names[1]} {times[1][-1]:.2f} s, ratio {times[0][-1] / times[1][-1]:.2f}",
          file=sys.stderr)
pair = statistics.median(x / y for x, y in zip(*times))
print(f"  median of the per-pair ratios: {pair:.3f}", file=sys.stderr)
results = [
    {"command": n, "median": statistics.median(t), "mean": statistics.mean(t),
     "min": min(t), "max": max(t), "times": t}
    for n, t in zip(names, times)
]
with open(a.export_json, "w") as f:
    json.dump({"results": results, "pair_ratio_median": pair}, f, indent=1)
