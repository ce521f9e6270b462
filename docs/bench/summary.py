"""summary.py BENCH.TXT [--wall]: medians and ratios of interleave.sh rounds.

Ratio = peer ms/step / ssdgm ms/step (above 1: ssdgm is faster). ssdgm's
figure is cpu_ms_step (process CPU time), or ms_step with --wall. "vs peer"
is the ratio of the medians; "paired" is the median over rounds of each
round's ratio, the peer's run nearest after ssdgm's in that round (less
moved by load that changes from round to round)."""
import json, re, statistics, sys
from collections import defaultdict

def main():
    wall = "--wall" in sys.argv
    rows = defaultdict(list)  # (task, engine) -> [ms]
    seq = []  # (round, task, engine, ms) in file order
    for line in open(sys.argv[1]):
        parts = line.split(None, 4)
        if len(parts) < 5 or parts[0] != "round":
            continue
        task, engine, rest = parts[2], parts[3], parts[4]
        n = len(rows[(task, engine)])
        if rest.lstrip().startswith("{"):
            rec = json.loads(rest)
            rows[(task, engine)].append(rec["ms_step" if wall else "cpu_ms_step"])
        else:
            m = re.search(r"ms/step(?: median)?=([0-9.]+)", rest)
            if m:
                rows[(task, engine)].append(float(m.group(1)))
        if len(rows[(task, engine)]) > n:
            seq.append((parts[1], task, engine, rows[(task, engine)][-1]))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print("| step | engine | rounds (ms/step) | median | vs peer | paired |")
    print("|---|---|---|---|---|---|")
    for (task, engine), v in sorted(rows.items()):
        peers = [(e, m) for (t, e), m in med.items() if t == task and not e.startswith("ssdgm")]
        ratio, paired = "", ""
        if engine.startswith("ssdgm"):
            ratio = ", ".join(f"{m / med[(task, engine)]:.2f}× {e}" for e, m in sorted(peers))
            paired = ", ".join(f"{statistics.median(r):.2f}× {e}" for e, r in pairs(seq, task, engine, [e for e, _ in sorted(peers)]))
        print(f"| {task} | {engine} | {', '.join(f'{x:.1f}' for x in v)} | {med[(task, engine)]:.1f} | {ratio} | {paired} |")


def pairs(seq, task, engine, peers):
    """Per peer, each round's peer ms / engine ms, the peer's run being the
    first after the engine's in that round (else the last before it)."""
    out = []
    for peer in peers:
        rs = []
        for i, (rnd, t, e, ms) in enumerate(seq):
            if t != task or e != engine:
                continue
            same = [(j, x) for j, (r2, t2, e2, x) in enumerate(seq) if r2 == rnd and t2 == task and e2 == peer]
            after = [x for j, x in same if j > i]
            before = [x for j, x in same if j < i]
            if after or before:
                rs.append((after[0] if after else before[-1]) / ms)
        if rs:
            out.append((peer, rs))
    return out

if __name__ == "__main__":
    main()
