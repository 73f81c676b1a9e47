#!/usr/bin/env python3
"""Where a persistent step's phases lose time between blocks: reads the benchmark's `step-blocks` file (every block's
arrival at each grid barrier and when it saw the barrier open, nanoseconds, for the last 8 steps) and prints, per kind of
phase, microseconds a step summed over the layers: the phase as block 0 sees it (barrier to barrier), a block's median
work (its barrier seen to its next arrival), the tail (last arrival − median arrival), and the barrier (last arrival
to the median block seeing it open); then whether the same blocks are last phase after phase.
Runs anywhere:  python3 tools/device/block-timeline.py block-timeline-64.json
"""
import json, statistics, sys, collections

data = json.load(open(sys.argv[1]))
layers = data["layers"]
kinds = ["qkv", "attention", "o_proj", "gate_up", "down_proj"]
# Barrier k (1-based) is the k-th wait: layer l's five phases wait at 5l+1 … 5l+5, the head at 5L+1, the end at 5L+2.
def phase_of(k):          # the phase that ends at barrier k (starts at k − 1)
    if k == 1: return "embed"
    if k == 5 * layers + 2: return "head"
    return kinds[(k - 2) % 5]

totals = collections.defaultdict(lambda: collections.defaultdict(float))
lateness = collections.defaultdict(lambda: collections.defaultdict(float))
steps = data["steps"]
blocks = data.get("blocks") or len(steps[0]) // (2 * data["barriers"])   # files of session 30's calls lack "blocks"
for stamps in steps:
    arrive = lambda k, b: stamps[2 * (k * blocks + b)]
    seen = lambda k, b: stamps[2 * (k * blocks + b) + 1]
    for k in range(1, 5 * layers + 3):
        kind = phase_of(k)
        arrivals = [arrive(k, b) for b in range(blocks)]
        opens = [seen(k, b) for b in range(blocks)]
        work = [arrive(k, b) - seen(k - 1, b) for b in range(blocks)]
        last, median = max(arrivals), statistics.median(arrivals)
        t = totals[kind]
        t["block0"] += seen(k, 0) - seen(k - 1, 0)
        t["work_median"] += statistics.median(work)
        t["work_max"] += max(work)
        t["tail"] += last - median
        t["barrier"] += statistics.median(opens) - last
        t["open_skew"] += max(opens) - min(opens)
        for b in range(blocks):
            lateness[kind][b] += arrivals[b] - median
n = len(steps)
print(f"{blocks} blocks, {layers} layers, {n} steps; microseconds a step (phases of a kind summed over the layers)")
print(f"{'phase':10} {'block 0':>9} {'work p50':>9} {'work max':>9} {'tail':>8} {'barrier':>8} {'open skew':>9}")
for kind in ["embed"] + kinds + ["head"]:
    t = totals[kind]
    print(f"{kind:10} " + " ".join(f"{t[c] / n / 1000:{w}.1f}" for c, w in
          [("block0", 9), ("work_median", 9), ("work_max", 9), ("tail", 8), ("barrier", 8), ("open_skew", 9)]))
for kind in kinds:
    late = sorted(lateness[kind].items(), key=lambda kv: -kv[1])
    print(f"{kind}: latest blocks (mean µs after the median arrival, per phase):",
          ", ".join(f"{b}:{v / (layers * n) / 1000:.2f}" for b, v in late[:8]),
          "| earliest:", ", ".join(f"{b}:{v / (layers * n) / 1000:.2f}" for b, v in late[-4:]))
