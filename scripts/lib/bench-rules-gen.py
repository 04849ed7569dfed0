#!/usr/bin/env python3
"""Generates the data of scripts/bench-rules: series, rules and the alerts they must fire.

    bench-rules-gen.py OUTDIR [--seed N]

writes into OUTDIR
  series.prom    Prometheus text exposition: 100 metric names x 1,000 label combinations =
                 100,000 series (PostgreSQL, Redis and BullMQ shaped; half gauges, half counters);
                 the values at time 0 of the run
  rules.yml      1,000 alerting rules in 10 groups (thresholds, rate, increase, sum by, ratios
                 with on(), absent, *_over_time, predict_linear, count by), valid for promtool
  expected.json  the alerts every rule fires once its ranges are full and its `for` has passed,
                 computed here from the values (a third opinion beside Prometheus and Vigil)

Values over time (scripts/lib/bench-rules-serve.py and Benchmarks/VigilBenchRules apply the
same law): gauges are constant; a counter whose value is v0 at time 0 is v0 * (1 + s / 1e6)
after s seconds, i.e. it grows at rate v0 / 1e6 per second. Gauges are integers and counter
rates are multiples of 0.1/s, and every threshold sits between two possible results with a
relative margin far above the jitter of real scrape timestamps, so Prometheus and Vigil must
agree on every alert.
"""

import json
import os
import random
import sys

GROWTH = 1e6  # a counter's value at time 0 divided by its rate per second

PG_COUNTERS = """xact_commit xact_rollback blks_read blks_hit tup_returned tup_fetched tup_inserted
tup_updated tup_deleted conflicts temp_files temp_bytes deadlocks checksum_failures
blk_read_time_seconds blk_write_time_seconds sessions sessions_abandoned sessions_fatal
sessions_killed session_time_seconds active_time_seconds idle_in_transaction_time_seconds seq_scan
idx_scan""".split()
PG_GAUGES = """pg_stat_database_numbackends pg_database_size_bytes pg_stat_activity_count
pg_stat_activity_max_tx_duration_seconds pg_locks_count pg_stat_user_tables_n_dead_tup
pg_stat_user_tables_n_live_tup pg_stat_user_tables_last_autovacuum_age_seconds pg_table_bloat_ratio
pg_index_bloat_ratio pg_replication_lag_seconds pg_stat_replication_replay_lag_bytes
pg_settings_max_connections pg_stat_statements_mean_exec_time_seconds pg_stat_statements_p95_seconds
pg_database_connection_limit pg_stat_database_temp_files_current pg_prepared_transactions_count
pg_long_running_transactions pg_oldest_xact_age_seconds pg_wal_size_bytes
pg_stat_bgwriter_buffers_backend_fsync pg_stat_archiver_failed_age_seconds pg_txid_wraparound_ratio
pg_cache_hit_ratio""".split()
REDIS_COUNTERS = """redis_commands_processed_total redis_keyspace_hits_total redis_keyspace_misses_total
redis_expired_keys_total redis_evicted_keys_total redis_net_input_bytes_total redis_net_output_bytes_total
redis_rejected_connections_total redis_connections_received_total redis_commands_duration_seconds_total
redis_db_keys_expired_total redis_errors_total""".split()
REDIS_GAUGES = """redis_db_keys redis_db_keys_expiring redis_db_avg_ttl_seconds redis_connected_clients
redis_blocked_clients redis_memory_used_bytes redis_memory_max_bytes redis_mem_fragmentation_ratio
redis_connected_slaves redis_replication_offset_lag_bytes redis_latest_fork_seconds
redis_rdb_changes_since_last_save redis_key_size_bytes""".split()
BULL_COUNTERS = """bullmq_jobs_completed_total bullmq_jobs_failed_total bullmq_jobs_retried_total
bullmq_jobs_stalled_total bullmq_jobs_added_total bullmq_job_duration_seconds_total
bullmq_job_wait_seconds_total bullmq_events_total bullmq_rate_limited_total bullmq_jobs_removed_total
bullmq_jobs_delayed_total bullmq_jobs_promoted_total""".split()
BULL_GAUGES = """bullmq_queue_waiting bullmq_queue_active bullmq_queue_delayed bullmq_queue_failed
bullmq_queue_completed bullmq_queue_paused bullmq_queue_prioritized bullmq_queue_waiting_children
bullmq_oldest_waiting_job_age_seconds bullmq_workers bullmq_queue_concurrency bullmq_queue_rate_limit
bullmq_queue_lag_seconds""".split()

# family: (counters, gauges, servers, second label, its values, counter pairs for ratios)
FAMILIES = {
    "pg": (["pg_stat_database_%s_total" % n for n in PG_COUNTERS], PG_GAUGES,
           ["pg-%d" % i for i in range(1, 11)], "datname", ["db_%03d" % i for i in range(100)],
           [("pg_stat_database_blks_hit_total", "pg_stat_database_blks_read_total"),
            ("pg_stat_database_xact_rollback_total", "pg_stat_database_xact_commit_total"),
            ("pg_stat_database_sessions_abandoned_total", "pg_stat_database_sessions_total")]),
    "redis": (REDIS_COUNTERS, REDIS_GAUGES,
              ["redis-%d" % i for i in range(1, 11)], "db", ["db%d" % i for i in range(100)],
              [("redis_keyspace_hits_total", "redis_keyspace_misses_total"),
               ("redis_errors_total", "redis_commands_processed_total")]),
    "bullmq": (BULL_COUNTERS, BULL_GAUGES,
               ["bull-%d" % i for i in range(1, 6)], "queue", ["q_%03d" % i for i in range(200)],
               [("bullmq_jobs_failed_total", "bullmq_jobs_completed_total"),
                ("bullmq_jobs_stalled_total", "bullmq_jobs_added_total")]),
}
RANGE = "5m"
RANGE_S = 300
INCREASE_RANGE = "2m"
INCREASE_S = 120
FORS = ["0s", "30s", "1m", "2m"]
# Relative gap two results must have for a threshold between them: real scrapes are a few
# milliseconds off their nominal 15 s steps, which moves a 5 m rate by ~1e-4 at most.
MARGIN = 2e-3


class Metric:
    def __init__(self, name, kind, family, servers, key, keys):
        self.name, self.kind, self.family = name, kind, family
        self.servers, self.key, self.keys = servers, key, keys
        self.series = []  # (labels dict, value at time 0)


def build_series(rng):
    metrics = []
    for family, (counters, gauges, servers, key, keys, _pairs) in FAMILIES.items():
        for name in counters + gauges:
            kind = "counter" if name in counters else "gauge"
            m = Metric(name, kind, family, servers, key, keys)
            for s in servers:
                for k in keys:
                    if kind == "counter":
                        v = rng.randint(1, 1000) * (GROWTH / 10)  # rate 0.1 .. 100 per second
                    else:
                        v = float(rng.randint(1, 1000))
                    m.series.append(({"server": s, key: k}, v))
            metrics.append(m)
    assert sum(len(m.series) for m in metrics) == 100_000, "expected 100,000 series"
    return metrics


def fmt(v):
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)


def write_exposition(path, metrics):
    with open(path, "w") as f:
        for m in metrics:
            f.write("# HELP %s Synthetic %s %s for scripts/bench-rules.\n" % (m.name, m.family, m.kind))
            f.write("# TYPE %s %s\n" % (m.name, m.kind))
            for labels, v in m.series:
                inner = ",".join('%s="%s"' % (k, labels[k]) for k in sorted(labels))
                f.write("%s{%s} %s\n" % (m.name, inner, fmt(v)))


def key_of(labels):
    return tuple(sorted(labels.items()))


def threshold(values, firing, relative):
    """A threshold T such that about `firing` of `values` are > T, with a margin on both sides."""
    distinct = sorted(set(values))
    if not distinct:
        return 1.0
    # index i: T between distinct[i-1] and distinct[i]; everything from distinct[i] up fires
    target = len(distinct) - max(firing, 0)
    candidates = sorted(range(1, len(distinct)), key=lambda i: abs(i - target))
    if firing <= 0:
        return distinct[-1] * 1.5 + 1
    for i in candidates:
        lo, hi = distinct[i - 1], distinct[i]
        if not relative or (hi - lo) / abs(hi) > MARGIN:
            return round((lo + hi) / 2, 6)
    return distinct[-1] * 1.5 + 1


class RuleMaker:
    def __init__(self, metrics, rng):
        self.rng = rng
        self.by_name = {m.name: m for m in metrics}
        self.gauges = [m for m in metrics if m.kind == "gauge"]
        self.counters = [m for m in metrics if m.kind == "counter"]

    def selector(self, m):
        """A label filter and the series it selects."""
        r = self.rng.random()
        if r < 0.4:
            return "", m.series
        if r < 0.8:
            s = self.rng.choice(m.servers)
            return '{server="%s"}' % s, [x for x in m.series if x[0]["server"] == s]
        prefix = self.rng.choice(m.keys)[:-1]
        return '{%s=~"%s.*"}' % (m.key, prefix), [x for x in m.series if x[0][m.key].startswith(prefix)]

    def firing_count(self, n):
        return self.rng.choice([0, 0, 1, 1, 2, 3, max(1, n // 200), max(1, n // 100)])

    def make(self, shape):
        """(expr, {label key: value} of the results that fire)."""
        rng = self.rng
        if shape == "gauge":
            m = rng.choice(self.gauges)
            sel, series = self.selector(m)
            vals = {key_of(l): v for l, v in series}
            t = threshold(list(vals.values()), self.firing_count(len(vals)), False)
            return "%s%s > %s" % (m.name, sel, fmt(t)), {k: v for k, v in vals.items() if v > t}
        if shape in ("rate", "increase"):
            m = rng.choice(self.counters)
            sel, series = self.selector(m)
            scale = 1 if shape == "rate" else INCREASE_S
            vals = {key_of(l): v / GROWTH * scale for l, v in series}
            t = threshold(list(vals.values()), self.firing_count(len(vals)), True)
            rng_ = RANGE if shape == "rate" else INCREASE_RANGE
            return "%s(%s%s[%s]) > %s" % (shape, m.name, sel, rng_, fmt(t)), {k: v for k, v in vals.items() if v > t}
        if shape == "sum_by":
            m = rng.choice(self.counters)
            sums = {}
            for l, v in m.series:
                k = (("server", l["server"]),)
                sums[k] = sums.get(k, 0.0) + v / GROWTH
            t = threshold(list(sums.values()), rng.choice([0, 1, 1, 2]), True)
            return "sum by (server) (rate(%s[%s])) > %s" % (m.name, RANGE, fmt(t)), {k: v for k, v in sums.items() if v > t}
        if shape == "ratio":
            fam = rng.choice(list(FAMILIES))
            a, b = rng.choice(FAMILIES[fam][5])
            ma, mb = self.by_name[a], self.by_name[b]
            key = ma.key
            bv = {key_of(l): v for l, v in mb.series}
            vals = {k: v / GROWTH / (v / GROWTH + bv[k] / GROWTH) for k, v in ((key_of(l), v) for l, v in ma.series)}
            t = threshold(list(vals.values()), self.firing_count(len(vals)), True)
            expr = "rate(%s[%s]) / on(server, %s) (rate(%s[%s]) + rate(%s[%s])) > %s" % (
                a, RANGE, key, a, RANGE, b, RANGE, fmt(t))
            return expr, {k: v for k, v in vals.items() if v > t}
        if shape == "gauge_ratio":
            fam = rng.choice(list(FAMILIES))
            pool = [m for m in self.gauges if m.family == fam]
            ma, mb = rng.sample(pool, 2)
            bv = {key_of(l): v for l, v in mb.series}
            vals = {key_of(l): v / bv[key_of(l)] for l, v in ma.series}
            t = threshold(list(vals.values()), self.firing_count(len(vals)), True)
            expr = "%s / on(server, %s) %s > %s" % (ma.name, ma.key, mb.name, fmt(t))
            return expr, {k: v for k, v in vals.items() if v > t}
        if shape == "over_time":
            m = rng.choice(self.gauges)
            sel, series = self.selector(m)
            fn = rng.choice(["avg_over_time", "max_over_time", "min_over_time", "quantile_over_time"])
            vals = {key_of(l): v for l, v in series}
            t = threshold(list(vals.values()), self.firing_count(len(vals)), False)
            arg = "0.9, " if fn == "quantile_over_time" else ""
            return "%s(%s%s%s[%s]) > %s" % (fn, arg, m.name, sel, RANGE, fmt(t)), {k: v for k, v in vals.items() if v > t}
        if shape == "predict":
            m = rng.choice(self.gauges)
            sel, series = self.selector(m)
            vals = {key_of(l): v for l, v in series}
            t = threshold(list(vals.values()), self.firing_count(len(vals)), False)
            return "predict_linear(%s%s[%s], 3600) > %s" % (m.name, sel, RANGE, fmt(t)), {k: v for k, v in vals.items() if v > t}
        if shape == "absent":
            m = rng.choice(self.gauges + self.counters)
            if rng.random() < 0.3:  # a server that does not exist: fires
                s = "%s-%d" % (m.servers[0].split("-")[0], len(m.servers) + 1 + rng.randint(0, 5))
                return 'absent(%s{server="%s"})' % (m.name, s), {(("server", s),): 1.0}
            s = rng.choice(m.servers)
            return 'absent(%s{server="%s"})' % (m.name, s), {}
        if shape == "count_by":
            m = rng.choice(self.gauges)
            vals = [v for _, v in m.series]
            inner = threshold(vals, len(vals) // 20, False)
            counts = {}
            for l, v in m.series:
                if v > inner:
                    k = (("server", l["server"]),)
                    counts[k] = counts.get(k, 0) + 1
            t = threshold(list(counts.values()), rng.choice([0, 1, 2]), False)
            return "count by (server) (%s > %s) > %s" % (m.name, fmt(inner), fmt(t)), {k: v for k, v in counts.items() if v > t}
        raise ValueError(shape)


SHAPES = [("gauge", 25), ("rate", 20), ("increase", 5), ("sum_by", 10), ("ratio", 10), ("gauge_ratio", 5),
          ("over_time", 10), ("predict", 5), ("absent", 5), ("count_by", 5)]


def yaml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    args = sys.argv[1:]
    seed = 5
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    metrics = build_series(rng)
    write_exposition(os.path.join(out, "series.prom"), metrics)

    maker = RuleMaker(metrics, rng)
    shapes = [s for s, n in SHAPES for _ in range(n)]
    assert len(shapes) == 100
    expected = []
    lines = ["# Generated by scripts/lib/bench-rules-gen.py (seed %d): 1,000 alerting rules." % seed, "groups:"]
    for g in range(10):
        lines.append("  - name: bench_%02d" % g)
        lines.append("    rules:")
        rng.shuffle(shapes)
        for i, shape in enumerate(shapes):
            expr, fires = maker.make(shape)
            name = "Bench%02d%02d_%s" % (g, i, shape)
            severity = rng.choice(["warning", "critical"])
            lines += [
                "      - alert: %s" % name,
                "        expr: %s" % yaml_str(expr),
                "        for: %s" % rng.choice(FORS),
                "        labels:",
                "          severity: %s" % severity,
                "        annotations:",
                "          summary: %s" % yaml_str("{{ $labels.server }}: %s is {{ $value | humanize }}" % shape),
            ]
            for k in fires:
                labels = dict(k)
                labels["alertname"] = name
                labels["severity"] = severity
                expected.append(labels)
    with open(os.path.join(out, "rules.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"seed": seed, "series": 100_000, "rules": 1000, "firing": expected}, f)
    print("series 100000, rules 1000, expected firing alerts %d" % len(expected), file=sys.stderr)


if __name__ == "__main__":
    main()
