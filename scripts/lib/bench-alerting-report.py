#!/usr/bin/env python3
"""Tables of scripts/bench-alerting from its raw records (standard library only).

    python3 scripts/lib/bench-alerting-report.py SINK_JSONL FLIPS_TSV STORM_ALERTS

SINK_JSONL is what scripts/lib/timestamp-sink.py wrote; FLIPS_TSV has one line per flip:
phase (latency|storm), round, flip time (Unix seconds).
"""
import json, statistics, sys
sink, flips_path, storm_alerts = sys.argv[1], sys.argv[2], int(sys.argv[3])
records = [json.loads(l) for l in open(sink)]
flips = {}
for line in open(flips_path):
    phase, k, t = line.split()
    flips[(phase, k)] = float(t)

def med(xs):
    return statistics.median(xs) if xs else float("nan")

print("\n1. Flip → first firing webhook at the sink (seconds)")
names = ["vigil-default", "prom-default", "vigil-tuned", "prom-tuned"]
lat = {n: [] for n in names}
detect = {n: [] for n in names}   # flip → the evaluation that fired (the alert's startsAt)
notify = {n: [] for n in names}   # that evaluation → webhook arrival
early = []
for (phase, k), t0 in sorted(flips.items()):
    if phase != "latency":
        continue
    row = []
    for n in names:
        path = f"/latency/{k}/{n}"
        times = [r["t"] for r in records if r["path"] == path and r.get("firing", 0) > 0]
        if any(t < t0 for t in times):
            early.append(path)
        after = [t - t0 for t in times if t >= t0]
        firsts = sorted((r for r in records if r["path"] == path and r.get("firing", 0) > 0 and r["t"] >= t0), key=lambda r: r["t"])
        if firsts and firsts[0].get("starts") is not None:
            detect[n].append(firsts[0]["starts"] - t0)
            notify[n].append(firsts[0]["t"] - firsts[0]["starts"])
        if after:
            lat[n].append(min(after))
            row.append(f"{min(after):8.3f}")
        else:
            row.append("    none")
    print(f"  flip {k}: " + "  ".join(f"{n} {v}" for n, v in zip(names, row)))
print(f"  {'stack':<16} {'flips':>5} {'median':>9} {'min':>9} {'max':>9}   {'flip→eval':>9} {'eval→hook':>9} (medians; eval = the alert's startsAt)")
for n in names:
    xs = lat[n]
    if xs:
        print(f"  {n:<16} {len(xs):>5} {med(xs):9.3f} {min(xs):9.3f} {max(xs):9.3f}   {med(detect[n]):9.3f} {med(notify[n]):9.3f}")
    else:
        print(f"  {n:<16} {0:>5} {'-':>9}")
for a, b in (("prom-default", "vigil-default"), ("prom-tuned", "vigil-tuned")):
    if lat[a] and lat[b]:
        print(f"  ratio {a} / {b} (medians): {med(lat[a]) / med(lat[b]):.1f}")
if early:
    print("  WARNING: notifications before the flip on " + ", ".join(early))

print(f"\n2. Storm: {storm_alerts} alerts firing at once, group_by [alertname, shard] (10 groups)")
res = {"vigil": [], "prom": []}
for (phase, k), t0 in sorted(flips.items()):
    if phase != "storm":
        continue
    for n in res:
        rs = sorted((r for r in records if r["path"] == f"/storm/{k}/{n}" and r.get("firing", 0) > 0), key=lambda r: r["t"])
        seen, done = set(), None
        for r in rs:
            seen.update(r.get("n", []))
            if done is None and len(seen) >= storm_alerts:
                done = r["t"] - t0
        first = rs[0]["t"] - t0 if rs else None
        res[n].append((len(rs), sum(r["firing"] for r in rs), len(seen), first, done, max((r["firing"] for r in rs), default=0)))
        print(f"  storm {k} {n:<6}: {len(rs)} notifications, {sum(r['firing'] for r in rs)} alerts in them "
              f"({len(seen)} distinct), largest {max((r['firing'] for r in rs), default=0)}, "
              f"first after {first if first is None else round(first, 3)} s, all after {done if done is None else round(done, 3)} s")
print(f"  {'stack':<6} {'notifications':>13} {'alerts/notif':>12} {'first s':>8} {'all s':>8}")
for n, rows in res.items():
    if not rows:
        continue
    notes = med([r[0] for r in rows])
    per = med([r[1] / r[0] for r in rows if r[0]])
    first = med([r[3] for r in rows if r[3] is not None])
    alls = [r[4] for r in rows if r[4] is not None]
    print(f"  {n:<6} {notes:>13} {per:>12.1f} {first:>8.3f} {med(alls) if alls else float('nan'):>8.3f}"
          + ("" if len(alls) == len(rows) else f"  (incomplete in {len(rows) - len(alls)} of {len(rows)} storms)"))
