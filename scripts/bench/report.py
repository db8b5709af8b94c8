#!/usr/bin/env python3
"""Prints the table of scripts/bench-docker.sh from hyperfine's JSON exports.

    report.py DIR

DIR holds status.json, backup-100m.json, backup-1g.json (hyperfine --export-json),
test-up.json, test-up-wait.json, seed-up.json, seed-up-wait.json (the same shape, from
scripts/bench/alternate.py; in each, the first command is banatie-infra, the second the
baseline),
rss-100m.txt and rss-1g.txt (one peak RSS in KiB per line, from /usr/bin/time -f %M),
dump-100m.bytes / dump-1g.bytes and db-100m.bytes / db-1g.bytes (sizes), and
compose-note.txt (how each Compose run was measured).
"""
import json
import os
import statistics
import sys

d = sys.argv[1]


def load(name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        doc = json.load(f)
    res = doc["results"]
    if "pair_ratio_median" in doc:  # scripts/bench/alternate.py
        res[1]["pair_ratio"] = doc["pair_ratio_median"]
    return res


def num(name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [int(x) for x in f.read().split()]


def secs(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def spread(r):
    return f"{secs(r['min'])}..{secs(r['max'])}, n={len(r['times'])}"


rows = []
notes = []


def timed(label, res, target, better_low=True):
    if not res:
        rows.append((label, "not run", "", "", target))
        return
    a, b = res[0], res[1]
    ratio = a["median"] / b["median"]
    rows.append((label, secs(a["median"]), secs(b["median"]), f"{ratio:.2f}x", target))
    pairs = ""
    if "pair_ratio" in b:
        pairs = f"; median of the per-pair ratios {b['pair_ratio']:.3f}"
    notes.append(f"  {label}: banatie-infra {spread(a)}; baseline {spread(b)}{pairs}")


timed("status (wall, median)", load("status.json"), "<= 1.0x")
for size in ("100m", "1g"):
    res = load(f"backup-{size}.json")
    label = "100 MiB" if size == "100m" else "1 GiB"
    if not res:
        rows.append((f"backup db {label}: throughput", "not run", "", "", ">= 0.95x"))
        continue
    db = num(f"db-{size}.bytes")[0]
    dump = num(f"dump-{size}.bytes")[0]
    a, b = res[0]["median"], res[1]["median"]
    mib = lambda t: f"{db / t / 2**20:.1f} MiB/s"
    rows.append(
        (f"backup db {label}: throughput", mib(a), mib(b), f"{b / a:.2f}x", ">= 0.95x")
    )
    pairs = ""
    if "pair_ratio" in res[1]:
        pairs = f"; median of the per-pair throughput ratios {1 / res[1]['pair_ratio']:.3f}"
    notes.append(
        f"  backup db {label}: database {db / 2**20:.0f} MiB, dump {dump / 2**20:.0f} MiB; "
        f"banatie-infra {spread(res[0])}; baseline {spread(res[1])}{pairs}"
    )
    rss = num(f"rss-{size}.txt")
    if rss:
        rows.append(
            (f"backup db {label}: peak RSS", f"{max(rss) / 1024:.1f} MiB", "", "", "<= 64 MiB")
        )
        notes.append(
            f"  peak RSS {label}: max of {len(rss)} runs (median {statistics.median(rss) / 1024:.1f} MiB)"
        )
for key, timings in (("test", "interval 2s"), ("seed", "seed's interval 30s")):
    timed(f"cold up ({timings}), median", load(f"{key}-up.json"), "<= 0.5x")
    timed(f"cold up && wait ({timings}), median", load(f"{key}-up-wait.json"), "(info)")

w = [max(len(r[i]) for r in rows + [("benchmark", "banatie-infra", "baseline", "ratio", "target")]) for i in range(5)]
print()
for r in [("benchmark", "banatie-infra", "baseline", "ratio", "target")] + rows:
    print("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip())
print()
print("Spread (min..max over the timed runs):")
for n in notes:
    print(n)
note = os.path.join(d, "compose-note.txt")
if os.path.exists(note):
    with open(note) as f:
        how = f.read().split()
    print(
        f"  compose runs measured by `up -d --wait`: {how.count('wait')}, "
        f"by polling `compose ps` after `up -d` (--wait exited non-zero): {how.count('poll')}"
    )

# One machine-readable line per row for scripts/bench.sh (tab-separated).
print()
for r in rows:
    print("\t".join(("RESULT",) + tuple(c or "-" for c in r)))
