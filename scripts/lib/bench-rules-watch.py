#!/usr/bin/env python3
"""Watches a Prometheus evaluating scripts/bench-rules' rule file and reports what it cost.

    bench-rules-watch.py URL PID CYCLES TIMEOUT_S OUT.json

Polls URL/metrics every second and records every evaluation of every rule group (the pair
prometheus_rule_group_last_evaluation_timestamp_seconds / _last_duration_seconds changes once
per evaluation) until each group has been evaluated CYCLES times, or TIMEOUT_S passes (an
error). Then reads memory (process_resident_memory_bytes, VmHWM of PID, Go heap, TSDB head),
rule failures and missed iterations from /metrics, the process CPU time at the end of
each evaluation round and the alerts from /api/v1/alerts, and
writes them as JSON to OUT.json.
"""

import json
import re
import sys
import time
import urllib.request

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
GROUP = re.compile(r'rule_group="([^"]*)"')


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def metrics(base):
    out = {}
    for line in get(base + "/metrics").splitlines():
        m = LINE.match(line)
        if m:
            out.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
    return out


def per_group(ms, name):
    return {GROUP.search(labels).group(1): v for labels, v in ms.get(name, []) if GROUP.search(labels)}


def total(ms, name):
    return sum(v for _, v in ms.get(name, []))


def peak_rss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    base, pid, cycles, timeout, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    evaluations = {}  # group -> [(timestamp, duration seconds)]
    deadline = time.time() + timeout
    reported = 0
    cpu = []  # (evaluation rounds complete, process CPU seconds) when a round completes
    while True:
        if time.time() > deadline:
            counts = {g: len(e) for g, e in evaluations.items()}
            sys.exit("bench-rules-watch: timed out after %.0f s waiting for %d evaluations per group: %s" % (timeout, cycles, counts))
        try:
            ms = metrics(base)
        except OSError as e:
            print("bench-rules-watch: %s" % e, file=sys.stderr)
            time.sleep(1)
            continue
        stamps = per_group(ms, "prometheus_rule_group_last_evaluation_timestamp_seconds")
        durations = per_group(ms, "prometheus_rule_group_last_duration_seconds")
        for g, ts in stamps.items():
            if ts <= 0 or g not in durations:
                continue  # not evaluated yet
            seen = evaluations.setdefault(g, [])
            if not seen or seen[-1][0] != ts:
                seen.append((ts, durations[g]))
        # Every group is listed from the start (with a zero timestamp until its first evaluation).
        done = min((len(evaluations.get(g, [])) for g in stamps), default=0)
        if done > reported:
            cpu += [(n, total(ms, "process_cpu_seconds_total")) for n in range(reported + 1, done + 1)]
            reported = done
            last = [e[done - 1][1] for e in evaluations.values() if len(e) >= done]
            print("prometheus cycle %2d: %d groups, sum %.1f ms" % (done - 1, len(last), sum(last) * 1000), file=sys.stderr)
        if evaluations and done >= cycles:
            break
        time.sleep(1)

    ms = metrics(base)
    alerts = json.loads(get(base + "/api/v1/alerts"))["data"]["alerts"]
    report = {
        "cycles": cycles,
        "groups": {g: [d for _, d in e[:cycles]] for g, e in evaluations.items()},
        "cpu_seconds_at_round": cpu,
        "starts": {g: [t for t, _ in e[:cycles]] for g, e in evaluations.items()},
        "rss_end_bytes": total(ms, "process_resident_memory_bytes"),
        "rss_peak_bytes": peak_rss(pid),
        "go_heap_inuse_bytes": total(ms, "go_memstats_heap_inuse_bytes"),
        "head_series": total(ms, "prometheus_tsdb_head_series"),
        "head_chunks": total(ms, "prometheus_tsdb_head_chunks"),
        "head_samples_appended": total(ms, "prometheus_tsdb_head_samples_appended_total"),
        "rule_failures": total(ms, "prometheus_rule_evaluation_failures_total"),
        "missed_iterations": total(ms, "prometheus_rule_group_iterations_missed_total"),
        "rule_evaluation_quantiles": {labels: v for labels, v in ms.get("prometheus_rule_evaluation_duration_seconds", [])},
        "firing": [a["labels"] for a in alerts if a["state"] == "firing"],
        "pending": sum(1 for a in alerts if a["state"] == "pending"),
    }
    with open(out, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main()
