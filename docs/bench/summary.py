"""summary.py BENCH.TXT [--wall]: medians and ratios of interleave.sh rounds.

Ratio = peer ms/step / ssdgm ms/step (above 1: ssdgm is faster). ssdgm's
figure is cpu_ms_step (process CPU time), or ms_step with --wall."""
import json, re, statistics, sys
from collections import defaultdict

def main():
    wall = "--wall" in sys.argv
    rows = defaultdict(list)  # (task, engine) -> [ms]
    for line in open(sys.argv[1]):
        parts = line.split(None, 4)
        if len(parts) < 5 or parts[0] != "round":
            continue
        task, engine, rest = parts[2], parts[3], parts[4]
        if rest.lstrip().startswith("{"):
            rec = json.loads(rest)
            rows[(task, engine)].append(rec["ms_step" if wall else "cpu_ms_step"])
        else:
            m = re.search(r"ms/step(?: median)?=([0-9.]+)", rest)
            if m:
                rows[(task, engine)].append(float(m.group(1)))
    med = {k: statistics.median(v) for k, v in rows.items()}
    print("| step | engine | rounds (ms/step) | median | " + " | ".join(["vs peer"]) + " |")
    print("|---|---|---|---|---|")
    for (task, engine), v in sorted(rows.items()):
        peers = [(e, m) for (t, e), m in med.items() if t == task and not e.startswith("ssdgm")]
        ratio = ""
        if engine.startswith("ssdgm"):
            ratio = ", ".join(f"{m / med[(task, engine)]:.2f}× {e}" for e, m in sorted(peers))
        print(f"| {task} | {engine} | {', '.join(f'{x:.1f}' for x in v)} | {med[(task, engine)]:.1f} | {ratio} |")

if __name__ == "__main__":
    main()
