#!/usr/bin/env python3
"""Summarise `go test -json` output (file in argv[1]): one line per package,
the output of every failed test, and every skipped test with its reason.
Exits 1 when anything failed."""
import collections
import json
import sys

out = collections.defaultdict(list)
packages, failed, skipped = [], [], []
running = set()  # tests that started and never finished (a timeout panic)
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        ev = json.loads(line)
    except ValueError:
        print(line, end="")  # build errors come as plain text
        continue
    key = (ev.get("Package", ""), ev.get("Test"))
    action = ev.get("Action")
    if action == "run":
        running.add(key)
    elif action in ("pass", "fail", "skip"):
        running.discard(key)
    if action == "output":
        out[key].append(ev.get("Output", ""))
    elif action in ("pass", "fail", "skip"):
        if ev.get("Test") is None:
            packages.append("%-4s %s %ss" % (action, key[0], ev.get("Elapsed", "")))
            if action == "fail":
                failed.append(key)
        elif action == "fail":
            failed.append(key)
        elif action == "skip":
            skipped.append(key)

print("\n".join(packages))


def reason(key):
    lines = [l.strip() for l in out[key] if not l.lstrip().startswith(("=== ", "--- "))]
    return " ".join(l for l in lines if l)


failed = sorted(running) + failed
for key in failed:
    print("\n--- FAIL %s %s\n%s" % (key[0], key[1] or "(package)", "".join(out[key])))
print("\nskipped tests (%d):" % len(skipped))
for key in skipped:
    print("  %s %s: %s" % (key[0], key[1], reason(key)))
sys.exit(1 if failed else 0)
