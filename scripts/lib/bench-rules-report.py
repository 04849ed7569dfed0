#!/usr/bin/env python3
"""Prints scripts/bench-rules' Markdown table from the two sides' JSON reports.

    bench-rules-report.py PROMETHEUS.json EXPECTED.json COMMAND VIGIL.json...

Cycles before `steady_from` (the 5-minute ranges are still filling) are left out of the
timings. A Prometheus cycle is the sum of its groups' durations in that evaluation round (the
time one core spends; Prometheus runs its groups in parallel goroutines, Vigil's benchmark runs
them one after the other). Several Vigil runs (before and after Prometheus' window, to see the
machine's background load on both sides of it) pool their steady cycles; memory is the first
run's. Exits 1 when the firing alerts of any Vigil run and Prometheus differ.
"""

import json
import statistics
import sys


def quantile(values, q):
    s = sorted(values)
    if not s:
        return float("nan")
    i = q * (len(s) - 1)
    lo = int(i)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (i - lo)


def mib(b):
    return "%.0f MiB" % (b / 1048576)


def ratio(p, v):
    return "%.2f" % (p / v) if v else ""


def alert_set(labels_list):
    return {tuple(sorted(l.items())) for l in labels_list}


def show(labels):
    d = dict(labels)
    name = d.pop("alertname", "?")
    return name + "{" + ",".join('%s="%s"' % kv for kv in sorted(d.items())) + "}"


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        prom = json.load(f)
    with open(sys.argv[2]) as f:
        expected = json.load(f)
    command = sys.argv[3]
    runs = []
    for path in sys.argv[4:]:
        with open(path) as f:
            runs.append(json.load(f))
    vigil = runs[0]

    cycles, steady = vigil["cycles"], vigil["steady_from"]
    v_eval = [x for r in runs for x in r["eval_ms"][steady:cycles]]
    v_ingest = [x for r in runs for x in r["ingest_ms"][steady:cycles]]
    v_ingest_cpu = [x for r in runs for x in r.get("ingest_cpu_ms", [])[steady:cycles]]
    groups = prom["groups"].values()
    p_rounds = [[g[i] * 1000 for g in groups] for i in range(steady, cycles)]
    p_eval = [sum(r) for r in p_rounds]
    p_slowest = [max(r) for r in p_rounds]
    v_med, p_med = statistics.median(v_eval), statistics.median(p_eval)
    v_p90, p_p90 = quantile(v_eval, 0.9), quantile(p_eval, 0.9)
    per_rule_v, per_rule_p = v_med / 1000 * 1000, p_med / 1000 * 1000  # µs per rule (1,000 rules)

    # How much of Prometheus' group time overlapped another group's evaluation (groups run
    # in parallel at their own offsets; overlapping ones share the 2 cores, which inflates
    # their wall-clock durations).
    spans = [(t, t + d) for g in prom["groups"]
             for t, d in zip(prom["starts"][g][steady:cycles], prom["groups"][g][steady:cycles])]
    overlapped = 0.0
    for i, (a0, a1) in enumerate(spans):
        cuts = sorted((max(a0, b0), min(a1, b1)) for j, (b0, b1) in enumerate(spans) if j != i and b0 < a1 and a0 < b1)
        end = a0
        for c0, c1 in cuts:
            c0 = max(c0, end)
            if c1 > c0:
                overlapped += c1 - c0
                end = c1
    busy = sum(b - a for a, b in spans)
    overlap = overlapped / busy if busy else 0.0

    vf, pf, ef = alert_set(vigil["firing"]), alert_set(prom["firing"]), alert_set(expected["firing"])
    runs_agree = all(alert_set(r["firing"]) == vf for r in runs)
    span = "cycles %d–%d of %d" % (steady, cycles - 1, cycles)
    if len(runs) > 1:
        span += ", %d Vigil runs" % len(runs)
    # Whole-process CPU per cycle over the steady cycles: Prometheus' scrape + TSDB append +
    # evaluation + everything else it does; Vigil's ingest + evaluation (one thread).
    cpu = dict((n, c) for n, c in prom["cpu_seconds_at_round"])
    p_cpu = (cpu[cycles] - cpu[steady]) / (cycles - steady) * 1000 if steady in cpu and cycles in cpu else float("nan")
    v_cpu = statistics.mean(a + b for a, b in zip(v_ingest, v_eval))
    rows = [
        ("evaluation per cycle, 1,000 rules, median (%s)" % span, "%.1f ms" % v_med, "%.1f ms" % p_med, ratio(p_med, v_med)),
        ("evaluation per cycle, p90", "%.1f ms" % v_p90, "%.1f ms" % p_p90, ratio(p_p90, v_p90)),
        ("per rule (median cycle / 1,000)", "%.0f µs" % per_rule_v, "%.0f µs" % per_rule_p, ratio(per_rule_p, per_rule_v)),
        ("slowest group of 100 rules, median", "", "%.1f ms" % statistics.median(p_slowest), ""),
        ("ingest of one collection (100,000 series), median", "%.1f ms" % statistics.median(v_ingest), "", ""),
        ("ingest of one collection, CPU of its thread, median",
         "%.1f ms" % statistics.median(v_ingest_cpu) if v_ingest_cpu else "", "", ""),
        ("CPU per cycle, whole process, mean (Vigil: ingest + evaluation; Prometheus: process CPU)",
         "%.0f ms" % v_cpu, "%.0f ms" % p_cpu, ratio(p_cpu, v_cpu)),
        ("history: Vigil `SeriesHistory.memoryBytes`; Prometheus TSDB head", mib(vigil["history_bytes"]),
         "%d series, %d chunks" % (prom["head_series"], prom["head_chunks"]), ""),
        ("resident memory at the end", mib(vigil["rss_end_bytes"]), mib(prom["rss_end_bytes"]),
         ratio(prom["rss_end_bytes"], vigil["rss_end_bytes"])),
        ("resident memory, peak", mib(vigil["rss_peak_bytes"]), mib(prom["rss_peak_bytes"]),
         ratio(prom["rss_peak_bytes"], vigil["rss_peak_bytes"])),
        ("Prometheus Go heap in use", "", mib(prom["go_heap_inuse_bytes"]), ""),
        ("rule evaluation failures", "%d" % vigil["rule_failures"], "%d" % prom["rule_failures"], ""),
        ("firing alerts after %d cycles (generator expects %d)" % (cycles, len(ef)), "%d" % len(vf), "%d" % len(pf), ""),
        ("pending alerts after %d cycles" % cycles, "%d" % vigil["pending"], "%d" % prom["pending"], ""),
    ]
    print("| measure | Vigil (`Rules`) | Prometheus 2.42 | Prometheus / Vigil |")
    print("|---|---|---|---|")
    for r in rows:
        print("| %s |" % " | ".join(r))
    print()
    print("Per cycle (ms, %s): %s; Prometheus %s." % (
        span, "; ".join("Vigil run %d %s" % (i + 1, " / ".join("%.0f" % x for x in r["eval_ms"][steady:cycles]))
                        for i, r in enumerate(runs)),
        " / ".join("%.0f" % x for x in p_eval)))
    print("Vigil: %d series and %d samples in the history (retention %d s), RSS %s after parsing the exposition."
          % (vigil["history_series"], vigil["history_samples"], vigil["retention_seconds"], mib(vigil["rss_parsed_bytes"])))
    print("Prometheus: missed iterations %d; %.0f%% of its group evaluation time overlapped another group's evaluation."
          % (prom["missed_iterations"], overlap * 100))
    same = vf == pf and runs_agree
    print("Firing alerts: Vigil and Prometheus %s; Vigil %s the generator's expectation; Prometheus %s it." % (
        "identical (%d alerts, same label sets%s)" % (len(vf), ", every Vigil run" if len(runs) > 1 else "") if same else "DIFFER",
        "matches" if vf == ef else "does not match", "matches" if pf == ef else "does not match"))
    for title, diff in (("only Vigil", vf - pf), ("only Prometheus", pf - vf)):
        if diff:
            print("  %s (%d): %s" % (title, len(diff), "; ".join(show(x) for x in sorted(diff)[:5])))
    print()
    print("Command: `%s`" % command)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
