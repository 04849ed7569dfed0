#!/usr/bin/env python3
"""Writes the Grafana dashboards that ship with Vigil (dashboards/*.json) and the panel table
(dashboards/PANELS.md) from the definitions below. Python 3 standard library only.

  dashboards/generate.py           # rewrite the files
  dashboards/generate.py --check   # exit 1 (listing the files) when the committed ones differ

Thresholds are not written here: `THRESHOLDS` names shipped alerts, and their numbers and
severities are read from rules/*.yml when the dashboards are generated, so a stat is coloured
exactly where the alert would fire and the two cannot drift (DashboardTests checks it again
with Vigil's own PromQL parser).
"""
import importlib.util
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = HERE.parent / "rules"
SCHEMA_VERSION = 39
DS = {"type": "prometheus", "uid": "${datasource}"}
SEVERITY_COLORS = {"critical": "red", "warning": "orange", "info": "blue"}
SEVERITY_RANK = {"info": 1, "warning": 2, "critical": 3}

# ---------------------------------------------------------------------------------------------
# Thresholds from the shipped rules

# key -> [(rule file, alert name, which numeric comparison of its expression: 0 first, -1 last)]
THRESHOLDS = {
    "query_p95": [("seed-alerts.yml", "High Database Response Time", -1)],
    "pool_usage": [("postgres-alerts.yml", "PostgresTooManyConnections", -1),
                   ("seed-alerts.yml", "Database Connection Pool Exhausted", -1)],
    "deadlocks_10m": [("postgres-alerts.yml", "PostgresDeadlocks", -1)],
    "cache_hit": [("postgres-alerts.yml", "PostgresLowCacheHitRatio", 0)],
    "replica_lag": [("seed-alerts.yml", "Replication Lag High", -1),
                    ("postgres-alerts.yml", "PostgresReplicationLagHigh", 0)],
    "standby_lag": [("seed-alerts.yml", "Replication Lag High", -1),
                    ("postgres-alerts.yml", "PostgresStandbyReplayLagHigh", -1)],
    "idle_in_tx": [("postgres-alerts.yml", "PostgresIdleInTransaction", -1)],
    "blocked": [("postgres-alerts.yml", "PostgresBlockedSessions", -1)],
    "long_tx": [("postgres-alerts.yml", "PostgresLongRunningTransaction", -1)],
    "xid_age": [("postgres-alerts.yml", "PostgresTransactionIDWraparoundImminent", -1)],
    "mxid_age": [("postgres-alerts.yml", "PostgresMultiXactIDWraparoundImminent", -1)],
    "pg_up": [("postgres-alerts.yml", "PostgresDown", -1)],
    "slot_active": [("postgres-alerts.yml", "PostgresReplicationSlotInactive", -1)],
    "redis_up": [("redis-alerts.yml", "RedisDown", -1)],
    "bullmq_ignored": [("bullmq-alerts.yml", "BullMQQueuesIgnored", -1)],
    "backup_listing": [("app-alerts.yml", "BackupListingFailing", -1)],
    "archiver_failed_10m": [("postgres-alerts.yml", "PostgresArchiverFailing", 0)],
    "redis_memory": [("seed-alerts.yml", "Redis Memory Usage High", -1),
                     ("redis-alerts.yml", "RedisMemoryNearMaxmemory", -1)],
    "redis_clients": [("redis-alerts.yml", "RedisTooManyClients", -1)],
    "redis_evicted_5m": [("redis-alerts.yml", "RedisEvictingKeys", -1)],
    "redis_rejected_5m": [("redis-alerts.yml", "RedisRejectedConnections", -1)],
    "redis_link": [("redis-alerts.yml", "RedisReplicaMasterLinkDown", -1)],
    "redis_rdb": [("redis-alerts.yml", "RedisRDBSaveFailing", -1)],
    "bullmq_waiting": [("bullmq-alerts.yml", "BullMQQueueBacklogGrowing", 0)],
    "bullmq_oldest": [("bullmq-alerts.yml", "BullMQOldestWaitingJobTooOld", 0)],
    "bullmq_failed_10m": [("bullmq-alerts.yml", "BullMQFailedJobsRising", -1)],
    "bullmq_paused": [("bullmq-alerts.yml", "BullMQQueuePausedLong", -1)],
    "backup_age": [("app-alerts.yml", "BackupTooOld", -1)],
    "wal_age": [("app-alerts.yml", "WALArchiveStale", -1)],
    "backup_verified": [("app-alerts.yml", "BackupNotVerifiable", -1)],
    "target_up": [("app-alerts.yml", "TargetDown", -1)],
    "probe_success": [("app-alerts.yml", "ProbeFailing", -1)],
    "collector_success": [("vigil-alerts.yml", "VigilCollectorFailing", -1)],
    "collector_stalled": [("vigil-alerts.yml", "VigilCollectorStalled", -1)],
    "skipped_10m": [("vigil-alerts.yml", "VigilCollectionsSkipped", -1)],
    "rule_failures_5m": [("vigil-alerts.yml", "VigilRuleEvaluationFailures", -1)],
    "missed_10m": [("vigil-alerts.yml", "VigilRuleGroupIterationsMissed", -1)],
    "reload": [("vigil-alerts.yml", "VigilConfigReloadFailed", -1)],
}

COMPARISON = re.compile(r"(<=|>=|==|!=|<|>)\s*(?:bool\s+)?"
                        r"([0-9][0-9.eE+]*(?:\s*\*\s*[0-9][0-9.eE+]*)*)(ms|s|m|h|%)?(?![\w.(\[])")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "%": 0.01, "": 1}


def rule_blocks(path):
    """(name, expression text, severity) of every alert in a rule file: Prometheus' format
    (`- alert:` with `expr:`) or the seed shorthand (`- name:` with `condition:`)."""
    lines = path.read_text().splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)- (alert|name):\s*\"?(.+?)\"?\s*$", lines[i])
        if not m or (m.group(2) == "name" and "alerts:" not in path.read_text()[:2000]):
            i += 1
            continue
        indent = len(m.group(1))
        name, body = m.group(3), []
        i += 1
        while i < len(lines) and not re.match(r"^\s{0,%d}- " % indent, lines[i]) and \
                not re.match(r"^\S", lines[i]):
            body.append(lines[i])
            i += 1
        expr, severity = None, None
        for j, line in enumerate(body):
            km = re.match(r"^\s*(expr|condition):\s*(.*)$", line)
            if km and expr is None:
                value = km.group(2).strip()
                if value in ("|", ">", "|-", ">-"):
                    own = len(line) - len(line.lstrip())
                    block = []
                    for nxt in body[j + 1:]:
                        if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= own:
                            break
                        block.append(nxt.strip())
                    value = " ".join(block)
                expr = value.strip('"')
            sm = re.match(r"^\s*severity:\s*\"?(\w+)\"?\s*$", line)
            if sm:
                severity = sm.group(1)
        if m.group(2) == "alert" or expr is not None:
            out.append((name, expr, severity))
    return out


def comparison(file, alert, index):
    for name, expr, severity in rule_blocks(RULES / file):
        if name == alert:
            found = [(op, tidy(eval_product(num) * UNITS[unit])) for op, num, unit in COMPARISON.findall(expr)]
            if not found:
                raise SystemExit(f"{file}: alert {alert} has no numeric comparison")
            if severity not in SEVERITY_COLORS:
                raise SystemExit(f"{file}: alert {alert} has severity {severity!r}")
            op, value = found[index]
            return {"file": file, "alert": alert, "op": op, "value": value, "severity": severity}
    raise SystemExit(f"{file}: no alert named {alert}")


def eval_product(text):
    result = 1.0
    for part in text.split("*"):
        result *= float(part)
    return result


def tidy(x):
    """The number as the rule file means it: 90% is 0.9, not 0.9000000000000001; whole numbers as ints."""
    x = float(f"{x:.12g}")
    return int(x) if x == int(x) and abs(x) < 1e15 else x


def worst(alerts):
    return max((a["severity"] for a in alerts), key=SEVERITY_RANK.get, default=None)


def threshold_steps(key):
    """Grafana threshold steps for the alerts of `key`: each value coloured by the most severe
    alert that fires there, green where none does. `== 0` on a 0/1 gauge is "below 1"."""
    alerts = [comparison(*ref) for ref in THRESHOLDS[key]]
    above, below = [], []
    for a in alerts:
        if a["op"] in (">", ">=") or (a["op"] == "==" and a["value"] == 1):
            above.append((a["value"], a))
        elif a["op"] in ("<", "<=") or (a["op"] == "==" and a["value"] == 0):
            below.append((a["value"] + 1 if a["op"] == "==" else a["value"], a))
        else:
            raise SystemExit(f"alert {a['alert']}: cannot colour `{a['op']} {a['value']}`")
    if above and below:
        raise SystemExit(f"threshold {key}: alerts in both directions")
    if above:
        steps = [{"color": "green", "value": None}]
        for value in sorted({v for v, _ in above}):
            color = SEVERITY_COLORS[worst([a for v, a in above if v <= value])]
            steps.append({"color": color, "value": value})
    else:
        steps = [{"color": SEVERITY_COLORS[worst([a for _, a in below])], "value": None}]
        values = sorted({v for v, _ in below})
        for value in values:
            rest = [a for v, a in below if v > value]
            steps.append({"color": SEVERITY_COLORS[worst(rest)] if rest else "green", "value": value})
    return steps, alerts


def threshold_note(alerts):
    parts = [f"`{a['alert']}` in rules/{a['file']} ({a['severity']}: {a['op']} {a['value']:g})" for a in alerts]
    return " Coloured where the shipped alert" + ("s " if len(parts) > 1 else " ") + " and ".join(parts) + \
        (" fire." if len(parts) > 1 else " fires.")


# ---------------------------------------------------------------------------------------------
# Panels

def target(expr, legend="", ref="A", instant=False, fmt="time_series"):
    t = {"refId": ref, "datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend,
         "range": not instant, "instant": instant}
    if fmt != "time_series":
        t["format"] = fmt
    return t


def targets_of(exprs, instant=False, fmt="time_series"):
    if isinstance(exprs, str):
        exprs = [(exprs, "")]
    return [target(e, l, chr(ord("A") + i), instant, fmt) for i, (e, l) in enumerate(exprs)]


def field_config(unit, thresholds=None, decimals=None, minimum=None, maximum=None, custom=None, color=None):
    d = {"unit": unit}
    if decimals is not None:
        d["decimals"] = decimals
    if minimum is not None:
        d["min"] = minimum
    if maximum is not None:
        d["max"] = maximum
    d["thresholds"] = {"mode": "absolute", "steps": thresholds or [{"color": "green", "value": None}]}
    d["color"] = color or ({"mode": "thresholds"} if thresholds else {"mode": "palette-classic"})
    if custom:
        d["custom"] = custom
    return {"defaults": d, "overrides": []}


def panel(kind, title, description, exprs, unit, w, h, threshold=None, instant=False, fmt="time_series",
          options=None, custom=None, minimum=None, maximum=None, decimals=None, color=None, steps=None):
    note = ""
    if threshold:
        steps, alerts = threshold_steps(threshold)
        note = threshold_note(alerts)
    p = {"type": kind, "title": title, "description": description + note, "datasource": DS,
         "targets": targets_of(exprs, instant, fmt),
         "fieldConfig": field_config(unit, steps, decimals, minimum, maximum, custom, color),
         "options": options or {}, "_size": (w, h)}
    return p


def timeseries(title, description, exprs, unit, w=12, h=8, threshold=None, stack=False, bars=False, **kw):
    custom = {"drawStyle": "bars" if bars else "line", "lineWidth": 1, "fillOpacity": 10 if not stack else 30,
              "showPoints": "never", "spanNulls": False,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"},
              "thresholdsStyle": {"mode": "line+area" if threshold else "off"}}
    options = {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                          "calcs": ["lastNotNull", "max"]},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return panel("timeseries", title, description, exprs, unit, w, h, threshold, options=options, custom=custom, **kw)


def stat(title, description, exprs, unit, w=4, h=4, threshold=None, **kw):
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "colorMode": "background" if threshold else "value", "graphMode": "area",
               "justifyMode": "auto", "orientation": "auto", "textMode": "auto", "wideLayout": True,
               "showPercentChange": False}
    color = None if threshold else {"mode": "fixed", "fixedColor": "blue"}
    return panel("stat", title, description, exprs, unit, w, h, threshold, options=options, color=color, **kw)


def gauge(title, description, exprs, unit, w=6, h=6, threshold=None, **kw):
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "showThresholdLabels": False, "showThresholdMarkers": True, "orientation": "auto"}
    return panel("gauge", title, description, exprs, unit, w, h, threshold, options=options, **kw)


def bargauge(title, description, exprs, unit, w=12, h=8, threshold=None, **kw):
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "displayMode": "gradient", "orientation": "horizontal", "showUnfilled": True,
               "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 16,
               "minVizWidth": 8, "maxVizHeight": 300}
    return panel("bargauge", title, description, exprs, unit, w, h, threshold, instant=True, options=options, **kw)


def table(title, description, exprs, unit, w=12, h=8, threshold=None, hide=("Time",), **kw):
    options = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    p = panel("table", title, description, exprs, unit, w, h, threshold, instant=True, fmt="table",
              options=options, custom={"align": "auto", "cellOptions": {"type": "auto"}, "inspect": False}, **kw)
    p["transformations"] = [{"id": "merge", "options": {}},
                            {"id": "organize", "options": {"excludeByName": {k: True for k in hide + ("__name__",)},
                                                           "indexByName": {}, "renameByName": {}}}]
    return p


def heatmap(title, description, expr, unit, w=12, h=8):
    options = {"calculate": False, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges", "fill": "dark-orange",
                                                          "scale": "exponential", "exponent": 0.5, "steps": 64,
                                                          "reverse": False},
               "yAxis": {"axisPlacement": "left", "unit": unit, "reverse": False},
               "rowsFrame": {"layout": "auto"}, "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": False},
               "legend": {"show": True}, "exemplars": {"color": "rgba(255,0,255,0.7)"},
               "cellValues": {"unit": "ops"}, "filterValues": {"le": 1e-9}}
    p = panel("heatmap", title, description, [(expr, "{{le}}")], unit, w, h, fmt="heatmap", options=options,
              custom={"scaleDistribution": {"type": "linear"}, "hideFrom": {"legend": False, "tooltip": False,
                                                                               "viz": False}})
    return p


def row(title, panels, collapsed=False):
    return {"type": "row", "title": title, "collapsed": collapsed, "panels": panels}


# ---------------------------------------------------------------------------------------------
# Variables and dashboard shell

def datasource_var():
    return {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
            "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": [], "includeAll": False, "multi": False}


def query_var(name, label, metric, selector=""):
    q = f"label_values({metric}{selector}, {name})"
    return {"type": "query", "name": name, "label": label, "datasource": DS, "definition": q,
            "query": {"query": q, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1},
            "refresh": 2, "regex": "", "sort": 1, "multi": True, "includeAll": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "options": [], "hide": 0}


def vigil_url_var():
    return {"type": "textbox", "name": "vigil_url", "label": "Vigil URL", "query": "http://localhost:9633",
            "current": {"selected": False, "text": "http://localhost:9633", "value": "http://localhost:9633"},
            "options": [{"selected": True, "text": "http://localhost:9633", "value": "http://localhost:9633"}],
            "hide": 0, "description": "Where Vigil's web interface answers (its status page is /)."}


JOB_VAR = query_var("job", "Vigil job", "vigil_build_info")


def links():
    return [{"title": "Vigil dashboards", "type": "dashboards", "tags": ["vigil"], "asDropdown": False,
             "includeVars": False, "keepTime": True, "targetBlank": False, "icon": "external link", "tooltip": "",
             "url": ""},
            {"title": "Vigil status page", "type": "link", "url": "${vigil_url}/", "tags": [], "asDropdown": False,
             "includeVars": False, "keepTime": False, "targetBlank": True, "icon": "info",
             "tooltip": "Vigil's own page: targets, alerts and notifications"}]


def layout(items):
    """Ids and gridPos for rows and panels: panels flow left to right in a 24-column grid."""
    out, next_id, y = [], 1, 0

    def place(panels):
        nonlocal next_id, y
        placed, x, line_h = [], 0, 0
        for p in panels:
            w, h = p.pop("_size")
            if x + w > 24:
                y += line_h
                x, line_h = 0, 0
            p["id"], p["gridPos"] = next_id, {"h": h, "w": w, "x": x, "y": y}
            next_id += 1
            x += w
            line_h = max(line_h, h)
            placed.append(p)
        y += line_h
        return placed

    for item in items:
        if item["type"] == "row":
            r = {"type": "row", "title": item["title"], "collapsed": item["collapsed"], "id": next_id,
                 "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []}
            next_id += 1
            y += 1
            out.append(r)
            placed = place(item["panels"])
            if item["collapsed"]:
                r["panels"] = placed
            else:
                out.extend(placed)
        else:
            out.extend(place([item]))
    return out


def dashboard(uid, title, description, tags, variables, items):
    return {
        "__requires": [{"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
                       {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"}],
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": links(),
        "panels": layout(items),
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["vigil"] + tags,
        "templating": {"list": [datasource_var()] + variables + [vigil_url_var()]},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {"refresh_intervals": ["10s", "30s", "1m", "5m", "15m", "30m", "1h"]},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# ---------------------------------------------------------------------------------------------
# The dashboards

UIDS = {"overview": "vigil-overview", "postgres": "vigil-postgres", "redis": "vigil-redis", "self": "vigil-self"}
J = 'job=~"$job"'
S = J + ', server=~"$server"'
SD = S + ', datname=~"$datname"'
Q = S + ', queue=~"$queue"'
RI = "$__rate_interval"
FIRING_STEPS = [{"color": "green", "value": None}, {"color": "red", "value": 1}]


def overview():
    pg = row("PostgreSQL", [
        stat("Query p95", "95th percentile of statement latency over 5 minutes (recording rule query_duration_p95 over "
             "pg_stat_statements_latency_seconds from the PostgreSQL collector's pg_stat_statements reader).",
             [(f"query_duration_p95{{{J}}}", "{{server}}")], "s", threshold="query_p95"),
        stat("Connection pool usage", "Client backends as a share of max_connections (recording rule "
             "connection_pool_usage over pg_stat_activity_count and pg_settings_max_connections, PostgreSQL collector).",
             [(f"connection_pool_usage{{{J}}}", "{{server}}")], "percentunit", threshold="pool_usage"),
        stat("Active connections", "Client backends running a statement now (recording rule active_connections over "
             "pg_stat_activity_count, PostgreSQL collector).",
             [(f"active_connections{{{J}}}", "{{server}}")], "short"),
        stat("Deadlocks (10 min)", "Deadlocks PostgreSQL detected in the last 10 minutes, in the busiest database of "
             "each server (pg_stat_database_deadlocks, PostgreSQL collector); the window is the alert's.",
             [(f"max by (server) (increase(pg_stat_database_deadlocks{{{J}}}[10m]))", "{{server}}")], "short",
             threshold="deadlocks_10m"),
        stat("Cache hit ratio", "Share of block reads served from shared_buffers over 5 minutes (recording rule "
             "cache_hit_ratio over pg_stat_database_blks_hit/blks_read, PostgreSQL collector).",
             [(f"cache_hit_ratio{{{J}}}", "{{server}}")], "percentunit", threshold="cache_hit"),
        stat("Replication lag", "Replication lag in seconds, measured on each replica and per standby on the primary "
             "(recording rule replication_lag over pg_replication_lag_seconds and pg_stat_replication_replay_lag_seconds).",
             [(f"replication_lag{{{J}}}", "{{server}} {{lag_source}} {{application_name}}")], "s",
             threshold="replica_lag"),
    ])
    redis = row("Redis and BullMQ", [
        stat("Redis memory use", "Used memory as a share of maxmemory (recording rule redis_memory_usage over "
             "redis_memory_used_bytes / redis_memory_max_bytes, Redis collector, INFO memory); empty without maxmemory.",
             [(f"redis_memory_usage{{{J}}}", "{{server}}")], "percentunit", threshold="redis_memory"),
        stat("Redis memory used", "Bytes Redis has allocated (recording rule memory_usage_bytes, redis_memory_used_bytes "
             "from INFO memory, Redis collector).", [(f"memory_usage_bytes{{{J}}}", "{{server}}")], "bytes"),
        stat("Redis clients", "Connected clients (recording rule connected_clients, redis_connected_clients from INFO "
             "clients, Redis collector).", [(f"connected_clients{{{J}}}", "{{server}}")], "short"),
        stat("Redis commands/s", "Commands processed per second (rate of commands_processed_total, "
             "redis_commands_processed_total from INFO stats, Redis collector).",
             [(f"rate(commands_processed_total{{{J}}}[{RI}])", "{{server}}")], "ops"),
        stat("Keyspace hit ratio", "Share of key lookups that found their key over 5 minutes (recording rule "
             "keyspace_hits_ratio over redis_keyspace_hits_total/misses_total, Redis collector).",
             [(f"keyspace_hits_ratio{{{J}}}", "{{server}}")], "percentunit"),
        stat("Background job queue", "Jobs not yet finished across every BullMQ queue (recording rule "
             "background_job_queue_size over bullmq_queue_jobs, Redis collector's BullMQ reader) and the app's own gauge.",
             [(f"background_job_queue_size{{{J}}}", "{{server}}{{queue_source}}")], "short"),
    ])
    app = row("Application", [
        stat("API duration p95", "95th percentile of API request latency over 5 minutes, per scraped job (recording "
             "rule api_request_duration over http_request_duration_seconds, scraped by Vigil's scrape_configs).",
             [(f"api_request_duration{{{J}}}", "{{job}}")], "s", w=6),
        stat("API error rate", "Share of requests answered with a 5xx status over 5 minutes (recording rule "
             "error_rate_5m over http_requests_total, scraped by Vigil's scrape_configs).",
             [(f"error_rate_5m{{{J}}}", "{{job}}")], "percentunit", w=6),
        stat("Active users", "Users the application counts as active (recording rule active_users over "
             "app_active_users, scraped by Vigil's scrape_configs).", [(f"active_users{{{J}}}", "{{job}}")], "short", w=6),
        stat("Scrape targets up", "Application targets Vigil scrapes successfully (vigil_scrape_up, `up` inside "
             "Vigil's rules; scrape collector).", [(f"vigil_scrape_up{{{J}}}", "{{instance}}")], "bool_yes_no", w=6,
             threshold="target_up"),
    ])
    alerts = row("Alerts and backups", [
        panel("stat", "Firing alerts", "Alerts firing in Vigil's rule engine now (ALERTS{alertstate=\"firing\"} on "
              "Vigil's /metrics). Red from one firing alert.",
              [(f'count(ALERTS{{{J}, alertstate="firing"}}) or vector(0)', "firing")], "short", 4, 4,
              steps=FIRING_STEPS,
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                       "colorMode": "background", "graphMode": "none", "justifyMode": "auto", "orientation": "auto",
                       "textMode": "auto", "wideLayout": True, "showPercentChange": False}),
        stat("Newest backup age", "Age of the newest backup of each set (backup_newest_age_seconds, backups "
             "collector: folder or S3 listing), WAL archive excluded.",
             [(f'backup_newest_age_seconds{{{J}, backup!="wal"}}', "{{backup}}")], "s", threshold="backup_age"),
        stat("WAL archive age", "Age of the newest file in the WAL archive (backup_newest_age_seconds{backup=\"wal\"}, "
             "backups collector).", [(f'backup_newest_age_seconds{{{J}, backup="wal"}}', "wal")], "s",
             threshold="wal_age"),
        stat("WAL archiver failures (10 min)", "archive_command failures in the last 10 minutes "
             "(pg_stat_archiver_failed_count, PostgreSQL collector); the window is the alert's.",
             [(f"increase(pg_stat_archiver_failed_count{{{J}}}[10m])", "{{server}}")], "short",
             threshold="archiver_failed_10m"),
        stat("Newest backup verifies", "Whether the newest backup of each set passed its gzip check "
             "(backup_newest_verified, backups collector with verify: gzip).",
             [(f"backup_newest_verified{{{J}}}", "{{backup}}")], "bool_yes_no", threshold="backup_verified"),
        table("Firing and pending alerts", "Every alert of Vigil's rule engine that is pending or firing, with its "
              "labels (ALERTS on Vigil's /metrics).", [(f"ALERTS{{{J}}}", "")], "none", w=24, h=8,
              hide=("Time", "Value", "instance", "job")),
    ])
    trends = row("Trends", [
        timeseries("Query latency p95", "query_duration_p95 over time (pg_stat_statements, PostgreSQL collector).",
                   [(f"query_duration_p95{{{J}}}", "{{server}}")], "s", w=8, threshold="query_p95"),
        timeseries("Connection pool usage", "connection_pool_usage over time (pg_stat_activity and max_connections, "
                   "PostgreSQL collector).", [(f"connection_pool_usage{{{J}}}", "{{server}}")], "percentunit", w=8,
                   threshold="pool_usage"),
        timeseries("API latency p95 and error rate", "api_request_duration (seconds, left) and error_rate_5m "
                   "(share of requests) of each scraped job (scrape_configs).",
                   [(f"api_request_duration{{{J}}}", "p95 {{job}}"), (f"error_rate_5m{{{J}}}", "errors {{job}}")],
                   "s", w=8),
    ], collapsed=True)
    return dashboard(UIDS["overview"], "Vigil / Stack overview",
                     "The seed's key metrics on one screen: PostgreSQL, Redis, BullMQ, the application, alerts and "
                     "backups, each stat coloured where its shipped alert fires.", ["overview"], [JOB_VAR],
                     [pg, redis, app, alerts, trends])


def postgres():
    src = "PostgreSQL collector"
    overview_row = row("Overview", [
        stat("Up", f"Whether Vigil could connect and run SELECT 1 (pg_up, {src}).",
             [(f"pg_up{{{S}}}", "{{server}}")], "bool_yes_no", threshold="pg_up"),
        stat("Connections used", f"Client backends as a share of max_connections (connection_pool_usage, {src}).",
             [(f"connection_pool_usage{{{S}}}", "{{server}}")], "percentunit", threshold="pool_usage"),
        stat("Cache hit ratio", f"Block reads served from shared_buffers over 5 minutes (cache_hit_ratio, {src}).",
             [(f"cache_hit_ratio{{{S}}}", "{{server}}")], "percentunit", threshold="cache_hit"),
        stat("Replica lag", f"Replay lag on each replica (pg_replication_lag_seconds while in recovery, {src}).",
             [(f"pg_replication_lag_seconds{{{S}}} and on (instance, job, server) (pg_replication_is_replica{{{S}}} == 1)",
               "{{server}}")], "s", threshold="replica_lag"),
        stat("Uptime", f"Time since the postmaster started (pg_postmaster_start_time_seconds, {src}).",
             [(f"time() - pg_postmaster_start_time_seconds{{{S}}}", "{{server}}")], "s"),
        stat("Database size", f"Sum of the selected databases' sizes (pg_database_size_bytes, {src}).",
             [(f"sum by (server) (pg_database_size_bytes{{{SD}}})", "{{server}}")], "bytes"),
    ])
    activity = row("Activity", [
        timeseries("Sessions by state", f"Backends per state (pg_stat_activity_count from pg_stat_activity, {src}).",
                   [(f"sum by (server, state) (pg_stat_activity_count{{{SD}}})", "{{server}} {{state}}")], "short",
                   stack=True),
        timeseries("Transactions", f"Commits and rollbacks per second (pg_stat_database_xact_commit/xact_rollback, {src}).",
                   [(f"sum by (server) (rate(pg_stat_database_xact_commit{{{SD}}}[{RI}]))", "{{server}} commit"),
                    (f"sum by (server) (rate(pg_stat_database_xact_rollback{{{SD}}}[{RI}]))", "{{server}} rollback")],
                   "ops"),
        timeseries("Tuples", f"Rows inserted, updated, deleted, fetched and returned per second (pg_stat_database_tup_inserted, tup_updated, tup_deleted, tup_fetched, tup_returned; {src}).",
                   [(f"sum by (server) (rate(pg_stat_database_tup_{k}{{{SD}}}[{RI}]))", "{{server}} " + k)
                    for k in ("inserted", "updated", "deleted", "fetched", "returned")], "ops"),
        timeseries("Cache hit ratio per database", f"Share of block reads served from shared_buffers "
                   f"(pg_stat_database_blks_hit / (blks_hit + blks_read), {src}).",
                   [(f"sum by (server, datname) (rate(pg_stat_database_blks_hit{{{SD}}}[{RI}])) / "
                     f"(sum by (server, datname) (rate(pg_stat_database_blks_hit{{{SD}}}[{RI}])) + "
                     f"sum by (server, datname) (rate(pg_stat_database_blks_read{{{SD}}}[{RI}])) > 0)",
                     "{{server}} {{datname}}")], "percentunit", threshold="cache_hit", maximum=1),
        timeseries("Deadlocks, conflicts and temporary files", f"Per second: deadlocks, recovery conflicts and "
                   f"temporary files written (pg_stat_database_deadlocks/conflicts/temp_files, {src}).",
                   [(f"sum by (server) (rate(pg_stat_database_deadlocks{{{SD}}}[{RI}]))", "{{server}} deadlocks"),
                    (f"sum by (server) (rate(pg_stat_database_conflicts{{{SD}}}[{RI}]))", "{{server}} conflicts"),
                    (f"sum by (server) (rate(pg_stat_database_temp_files{{{SD}}}[{RI}]))", "{{server}} temp files")],
                   "ops"),
        timeseries("Block I/O time", f"Time spent reading and writing data blocks per second, with track_io_timing "
                   f"(pg_stat_database_blk_read_time/blk_write_time, milliseconds, {src}).",
                   [(f"sum by (server) (rate(pg_stat_database_blk_read_time{{{SD}}}[{RI}]))", "{{server}} read"),
                    (f"sum by (server) (rate(pg_stat_database_blk_write_time{{{SD}}}[{RI}]))", "{{server}} write")],
                   "ms"),
    ])
    locks = row("Locks and waiting sessions", [
        timeseries("Locks by mode", f"Locks held or awaited per mode (pg_locks_count from pg_locks, {src}).",
                   [(f"sum by (server, mode) (pg_locks_count{{{SD}}}) > 0", "{{server}} {{mode}}")], "short", w=8),
        timeseries("Blocked sessions", f"Sessions waiting for a lock another session holds, and how long the oldest "
                   f"has waited (pg_blocked_sessions, pg_blocked_sessions_oldest_seconds, {src}).",
                   [(f"max by (server, datname) (pg_blocked_sessions_oldest_seconds{{{SD}}})", "{{server}} {{datname}} oldest")],
                   "s", w=8, threshold="blocked"),
        timeseries("Idle in transaction", f"How long the oldest session has been idle inside an open transaction "
                   f"(pg_idle_in_transaction_oldest_seconds, {src}).",
                   [(f"max by (server, datname) (pg_idle_in_transaction_oldest_seconds{{{SD}}})", "{{server}} {{datname}}")],
                   "s", w=8, threshold="idle_in_tx"),
        timeseries("Blocked and idle-in-transaction sessions", f"Number of blocked sessions and of sessions idle in "
                   f"transaction (pg_blocked_sessions, pg_idle_in_transaction_sessions, {src}).",
                   [(f"sum by (server, datname) (pg_blocked_sessions{{{SD}}})", "{{server}} {{datname}} blocked"),
                    (f"sum by (server, datname) (pg_idle_in_transaction_sessions{{{SD}}})",
                     "{{server}} {{datname}} idle in transaction")], "short", w=12),
        timeseries("Longest active transaction", f"Age of the oldest transaction of an active session "
                   f"(pg_stat_activity_max_tx_duration{{state=\"active\"}}, {src}).",
                   [(f'max by (server, datname) (pg_stat_activity_max_tx_duration{{{SD}, state="active"}})',
                     "{{server}} {{datname}}")], "s", w=12, threshold="long_tx"),
    ])
    replication = row("Replication", [
        timeseries("Replica lag", f"On each replica: how far replay is behind the primary's last transaction "
                   f"(pg_replication_lag_seconds while pg_replication_is_replica is 1, {src}).",
                   [(f"pg_replication_lag_seconds{{{S}}} and on (instance, job, server) (pg_replication_is_replica{{{S}}} == 1)",
                     "{{server}}")], "s", w=8, threshold="replica_lag"),
        timeseries("Standby replay lag", f"On the primary, each standby's replay lag as pg_stat_replication reports it "
                   f"(pg_stat_replication_replay_lag_seconds, {src}).",
                   [(f"max by (server, application_name, client_addr) (pg_stat_replication_replay_lag_seconds{{{S}}})",
                     "{{server}} → {{application_name}} {{client_addr}}")], "s", w=8, threshold="standby_lag"),
        timeseries("WAL not yet replayed per standby", f"Bytes of WAL between the primary's position and each standby's "
                   f"replay position (pg_stat_replication_pg_wal_lsn_diff, {src}).",
                   [(f"pg_stat_replication_pg_wal_lsn_diff{{{S}}}", "{{server}} → {{application_name}} {{state}}")],
                   "bytes", w=8),
        timeseries("Replication slot WAL retained", f"WAL each replication slot keeps on the primary's disk "
                   f"(pg_replication_slot_retained_wal_bytes from pg_replication_slots, {src}).",
                   [(f"pg_replication_slot_retained_wal_bytes{{{S}}}", "{{server}} {{slot_name}} ({{slot_type}})")],
                   "bytes", w=12),
        stat("Slots active", f"Whether a consumer is attached to each replication slot "
             f"(pg_replication_slot_slot_is_active, {src}).",
             [(f"pg_replication_slot_slot_is_active{{{S}}}", "{{server}} {{slot_name}}")], "bool_yes_no", w=12,
             threshold="slot_active"),
    ])
    statements = row("Statements (pg_stat_statements)", [
        table("Top statements by time", f"The ten statements that spent the most time per second over the rate "
              f"interval, with their calls per second (pg_stat_statements_seconds_total and _calls_total, {src}; "
              f"queryid as pg_stat_statements reports it).",
              [(f"topk(10, sum by (server, datname, user, queryid) (rate(pg_stat_statements_seconds_total{{{SD}}}[{RI}])))", ""),
               (f"sum by (server, datname, user, queryid) (rate(pg_stat_statements_calls_total{{{SD}}}[{RI}]))"
                f" and on (server, datname, user, queryid) topk(10, sum by (server, datname, user, queryid) "
                f"(rate(pg_stat_statements_seconds_total{{{SD}}}[{RI}])))", "")],
              "s", w=24, h=9, hide=("Time", "instance", "job")),
        heatmap("Statement latency", f"Statements per latency bucket (each statement's mean over a collection "
                f"interval, counted once per call: pg_stat_statements_latency_seconds, {src}).",
                f"sum by (le) (increase(pg_stat_statements_latency_seconds_bucket{{{SD}}}[{RI}]))", "s"),
        timeseries("Statement latency p50 / p95 / p99", f"Quantiles of pg_stat_statements_latency_seconds over the rate "
                   f"interval, per server ({src}). The p95 is coloured where the seed's 500ms alert fires "
                   f"(which uses 5 minutes).",
                   [(f"histogram_quantile({q}, sum by (server, le) (rate(pg_stat_statements_latency_seconds_bucket{{{SD}}}[{RI}])))",
                     f"{{{{server}}}} p{int(q * 100)}") for q in (0.5, 0.95, 0.99)], "s", threshold="query_p95"),
        timeseries("Statement calls", f"Statements executed per second (pg_stat_statements_calls_total, {src}).",
                   [(f"sum by (server, datname) (rate(pg_stat_statements_calls_total{{{SD}}}[{RI}]))",
                     "{{server}} {{datname}}")], "ops"),
        timeseries("Statement time", f"Seconds spent executing statements per second: 1 is one busy backend "
                   f"(pg_stat_statements_seconds_total, {src}).",
                   [(f"sum by (server, datname) (rate(pg_stat_statements_seconds_total{{{SD}}}[{RI}]))",
                     "{{server}} {{datname}}")], "s"),
    ])
    storage = row("Storage and vacuum", [
        bargauge("Database sizes", f"Size of each database (pg_database_size_bytes, {src}).",
                 [(f"pg_database_size_bytes{{{SD}}}", "{{server}} {{datname}}")], "bytes"),
        bargauge("Largest tables", f"Table plus index size of the fifteen largest tables "
                 f"(pg_stat_user_tables_table_size_bytes + index_size_bytes, {src}).",
                 [(f"topk(15, pg_stat_user_tables_table_size_bytes{{{SD}}} + pg_stat_user_tables_index_size_bytes{{{SD}}})",
                   "{{server}} {{datname}}.{{schemaname}}.{{relname}}")], "bytes"),
        timeseries("Dead tuples", f"Dead rows waiting for VACUUM in the ten tables with the most "
                   f"(pg_stat_user_tables_n_dead_tup, {src}).",
                   [(f"topk(10, pg_stat_user_tables_n_dead_tup{{{SD}}})", "{{server}} {{datname}}.{{relname}}")],
                   "short", w=8),
        table("Time since vacuum and analyze", f"Per table, time since the last (auto)vacuum and (auto)analyze; "
              f"tables never vacuumed or analyzed are left out (pg_stat_user_tables_last_vacuum, last_autovacuum, last_analyze, last_autoanalyze; {src}).",
              [(f'time() - max by (server, datname, schemaname, relname) ({{__name__=~"pg_stat_user_tables_last_(auto)?vacuum", {SD}}} > 0)', ""),
               (f'time() - max by (server, datname, schemaname, relname) ({{__name__=~"pg_stat_user_tables_last_(auto)?analyze", {SD}}} > 0)', "")],
              "s", w=8, hide=("Time",)),
        timeseries("Transaction ID age (wraparound)", f"Age of the oldest unfrozen transaction ID and multixact ID per "
                   f"database (pg_database_wraparound_age_datfrozenxid_seconds / _datminmxid_seconds: counts of "
                   f"transactions despite the postgres_exporter name, {src}).",
                   [(f"max by (server, datname) (pg_database_wraparound_age_datfrozenxid_seconds{{{SD}}})",
                     "{{server}} {{datname}} xid"),
                    (f"max by (server, datname) (pg_database_wraparound_age_datminmxid_seconds{{{SD}}})",
                     "{{server}} {{datname}} multixact")], "short", w=8, threshold="xid_age"),
    ])
    wal = row("Checkpoints, background writer and WAL", [
        timeseries("Checkpoints", f"Checkpoints per second, scheduled and requested "
                   f"(pg_stat_bgwriter_checkpoints_timed_total / _req_total, {src}).",
                   [(f"rate(pg_stat_bgwriter_checkpoints_timed_total{{{S}}}[{RI}])", "{{server}} timed"),
                    (f"rate(pg_stat_bgwriter_checkpoints_req_total{{{S}}}[{RI}])", "{{server}} requested")], "ops", w=8),
        timeseries("Buffers written", f"Buffers written per second by checkpoints, the background writer and backends, "
                   f"and allocated (pg_stat_bgwriter_buffers_checkpoint_total, buffers_clean_total, buffers_backend_total, buffers_alloc_total; {src}).",
                   [(f"rate(pg_stat_bgwriter_buffers_{k}_total{{{S}}}[{RI}])", "{{server}} " + k)
                    for k in ("checkpoint", "clean", "backend", "alloc")], "ops", w=8),
        timeseries("WAL generated", f"Bytes of WAL written per second (pg_stat_wal_bytes_total from pg_stat_wal, {src}).",
                   [(f"rate(pg_stat_wal_bytes_total{{{S}}}[{RI}])", "{{server}}")], "Bps", w=8),
        timeseries("WAL on disk", f"Size of pg_wal (pg_wal_size_bytes, {src}).",
                   [(f"pg_wal_size_bytes{{{S}}}", "{{server}}")], "bytes", w=8),
        timeseries("WAL archiving", f"Segments archived and archive_command failures per second "
                   f"(pg_stat_archiver_archived_count / failed_count, {src}).",
                   [(f"rate(pg_stat_archiver_archived_count{{{S}}}[{RI}])", "{{server}} archived"),
                    (f"rate(pg_stat_archiver_failed_count{{{S}}}[{RI}])", "{{server}} failed")], "ops", w=8),
        stat("Last archived segment", f"Time since the last segment was archived (pg_stat_archiver_last_archive_age, {src}).",
             [(f"pg_stat_archiver_last_archive_age{{{S}}} >= 0", "{{server}}")], "s", w=8),
    ])
    settings = row("Settings that matter", [
        stat(title, f"The {name} setting (pg_settings_{name}, from pg_settings, {src}).",
             [(f"pg_settings_{name}{{{S}}}", "{{server}}")], unit, w=4)
        for title, name, unit in (("max_connections", "max_connections", "short"),
                                  ("shared_buffers", "shared_buffers_bytes", "bytes"),
                                  ("effective_cache_size", "effective_cache_size_bytes", "bytes"),
                                  ("work_mem", "work_mem_bytes", "bytes"),
                                  ("max_wal_size", "max_wal_size_bytes", "bytes"),
                                  ("autovacuum_freeze_max_age", "autovacuum_freeze_max_age", "short"))
    ], collapsed=True)
    variables = [JOB_VAR, query_var("server", "Server", "pg_up", f"{{{J}}}"),
                 query_var("datname", "Database", "pg_database_size_bytes", f"{{{S}}}")]
    return dashboard(UIDS["postgres"], "Vigil / PostgreSQL",
                     "Every PostgreSQL server Vigil watches (primary and replicas): activity, locks, replication, "
                     "statements, storage and vacuum, checkpoints and WAL.", ["postgresql"], variables,
                     [overview_row, activity, locks, replication, statements, storage, wal, settings])


def redis():
    src = "Redis collector"
    overview_row = row("Overview", [
        stat("Up", f"Whether Vigil could connect and get a reply to PING (redis_up, {src}).",
             [(f"redis_up{{{S}}}", "{{server}}")], "bool_yes_no", threshold="redis_up"),
        stat("Memory use", f"Used memory as a share of maxmemory (redis_memory_usage, {src}); empty where maxmemory is 0.",
             [(f"redis_memory_usage{{{S}}}", "{{server}}")], "percentunit", threshold="redis_memory"),
        stat("Clients", f"Connected clients (redis_connected_clients, INFO clients, {src}).",
             [(f"redis_connected_clients{{{S}}}", "{{server}}")], "short"),
        stat("Commands/s", f"Commands processed per second (redis_commands_processed_total, INFO stats, {src}).",
             [(f"rate(redis_commands_processed_total{{{S}}}[{RI}])", "{{server}}")], "ops"),
        stat("Keyspace hit ratio", f"Share of lookups that found their key over 5 minutes (keyspace_hits_ratio, {src}).",
             [(f"keyspace_hits_ratio{{{S}}}", "{{server}}")], "percentunit"),
        stat("Uptime", f"Time since redis-server started (redis_uptime_in_seconds, INFO server, {src}).",
             [(f"redis_uptime_in_seconds{{{S}}}", "{{server}}")], "s"),
    ])
    memory = row("Memory", [
        timeseries("Memory used against maxmemory", f"Used, resident (RSS) and maximum memory "
                   f"(redis_memory_used_bytes, _used_rss_bytes, _max_bytes; INFO memory, {src}).",
                   [(f"redis_memory_used_bytes{{{S}}}", "{{server}} used"),
                    (f"redis_memory_used_rss_bytes{{{S}}}", "{{server}} rss"),
                    (f"redis_memory_max_bytes{{{S}}} > 0", "{{server}} maxmemory")], "bytes", w=8),
        timeseries("Fragmentation", f"RSS divided by used memory (redis_mem_fragmentation_ratio, INFO memory, {src}); "
                   f"well above 1 means memory is lost to fragmentation.",
                   [(f"redis_mem_fragmentation_ratio{{{S}}}", "{{server}}")], "none", w=8),
        timeseries("Evictions and expirations", f"Keys evicted (maxmemory reached) and expired per second "
                   f"(redis_evicted_keys_total, redis_expired_keys_total; INFO stats, {src}).",
                   [(f"rate(redis_evicted_keys_total{{{S}}}[{RI}])", "{{server}} evicted"),
                    (f"rate(redis_expired_keys_total{{{S}}}[{RI}])", "{{server}} expired")], "ops", w=8),
        stat("Keys evicted (5 min)", f"Keys evicted in the last 5 minutes (redis_evicted_keys_total, {src}); "
             f"the window is the alert's.", [(f"increase(redis_evicted_keys_total{{{S}}}[5m])", "{{server}}")],
             "short", w=12, threshold="redis_evicted_5m"),
        stat("Memory use over time", f"redis_memory_usage (used / maxmemory) as a stat with its trend ({src}).",
             [(f"redis_memory_usage{{{S}}}", "{{server}}")], "percentunit", w=12, threshold="redis_memory"),
    ])
    clients = row("Clients", [
        timeseries("Clients", f"Connected and blocked clients (redis_connected_clients, redis_blocked_clients; "
                   f"INFO clients, {src}).",
                   [(f"redis_connected_clients{{{S}}}", "{{server}} connected"),
                    (f"redis_blocked_clients{{{S}}}", "{{server}} blocked")], "short", w=8),
        timeseries("Clients against maxclients", f"Connected clients as a share of maxclients "
                   f"(redis_connected_clients / redis_max_clients, {src}).",
                   [(f"redis_connected_clients{{{S}}} / ((redis_max_clients{{{S}}} or redis_config_maxclients{{{S}}}) > 0)",
                     "{{server}}")], "percentunit", w=8, threshold="redis_clients"),
        stat("Rejected connections (5 min)", f"Connections refused because maxclients was reached "
             f"(redis_rejected_connections_total, {src}); the window is the alert's.",
             [(f"increase(redis_rejected_connections_total{{{S}}}[5m])", "{{server}}")], "short", w=8,
             threshold="redis_rejected_5m"),
    ])
    commands = row("Commands", [
        timeseries("Commands per second", f"Commands processed per second (redis_commands_processed_total, {src}).",
                   [(f"rate(redis_commands_processed_total{{{S}}}[{RI}])", "{{server}}")], "ops", w=8),
        timeseries("Top commands", f"The ten busiest commands per second (redis_commands_total from INFO commandstats, {src}).",
                   [(f"topk(10, sum by (server, cmd) (rate(redis_commands_total{{{S}}}[{RI}])))", "{{server}} {{cmd}}")],
                   "ops", w=8),
        timeseries("Latency per command", f"Mean time per call of each command over the rate interval "
                   f"(redis_commands_duration_seconds_total / redis_commands_total, INFO commandstats, {src}).",
                   [(f"sum by (server, cmd) (rate(redis_commands_duration_seconds_total{{{S}}}[{RI}])) / "
                     f"(sum by (server, cmd) (rate(redis_commands_total{{{S}}}[{RI}])) > 0)", "{{server}} {{cmd}}")],
                   "s", w=8),
    ])
    keyspace = row("Keyspace", [
        timeseries("Keys per database", f"Keys and keys with a TTL per database (redis_db_keys, redis_db_keys_expiring; "
                   f"INFO keyspace, {src}).",
                   [(f"redis_db_keys{{{S}}} > 0", "{{server}} {{db}} keys"),
                    (f"redis_db_keys_expiring{{{S}}} > 0", "{{server}} {{db}} expiring")], "short", w=8),
        timeseries("Keyspace hit ratio", f"Share of lookups that found their key (redis_keyspace_hits_total / "
                   f"(hits + misses), {src}).",
                   [(f"rate(redis_keyspace_hits_total{{{S}}}[{RI}]) / (rate(redis_keyspace_hits_total{{{S}}}[{RI}]) + "
                     f"rate(redis_keyspace_misses_total{{{S}}}[{RI}]) > 0)", "{{server}}")], "percentunit", w=8,
                   maximum=1),
        timeseries("Key patterns", f"Keys matching each configured key_patterns entry, counted by SCAN "
                   f"(redis_keys_count{{db, key}}, e.g. session:* and user:*:teams; {src}).",
                   [(f"redis_keys_count{{{S}}}", "{{server}} {{db}} {{key}}")], "short", w=8),
    ])
    repl = row("Replication and persistence", [
        stat("Master link", f"On a replica: whether the link to its master is up (redis_master_link_up, INFO replication, {src}).",
             [(f"redis_master_link_up{{{S}}}", "{{server}}")], "bool_yes_no", w=4, threshold="redis_link"),
        timeseries("Connected replicas", f"Replicas connected to each master (redis_connected_slaves, {src}).",
                   [(f"redis_connected_slaves{{{S}}}", "{{server}}")], "short", w=6),
        timeseries("Replica lag", f"Seconds since each replica last acknowledged, as its master reports it "
                   f"(redis_connected_slave_lag_seconds, {src}).",
                   [(f"redis_connected_slave_lag_seconds{{{S}}}", "{{server}} → {{slave_ip}}:{{slave_port}}")], "s", w=6),
        timeseries("Changes since last save", f"Writes not yet in an RDB snapshot (redis_rdb_changes_since_last_save, "
                   f"INFO persistence, {src}).", [(f"redis_rdb_changes_since_last_save{{{S}}}", "{{server}}")], "short", w=4),
        stat("Last RDB save status", f"Whether the last background save succeeded (redis_rdb_last_bgsave_status, {src}).",
             [(f"redis_rdb_last_bgsave_status{{{S}}}", "{{server}}")], "bool_yes_no", w=4, threshold="redis_rdb"),
    ])
    bullmq = row("BullMQ", [
        timeseries("Jobs per queue and state", f"Jobs in each state of each BullMQ queue, read straight from "
                   f"Redis (bullmq_queue_jobs{{db, prefix, queue, state}}, {src}'s BullMQ reader).",
                   [(f"sum by (server, prefix, queue, state) (bullmq_queue_jobs{{{Q}}})", "{{queue}} {{state}}")],
                   "short", w=12, h=9),
        timeseries("Waiting jobs", f"Jobs waiting or prioritized per queue (bullmq_queue_jobs{{state=~\"wait|prioritized\"}}, {src}).",
                   [(f'sum by (server, db, prefix, queue) (bullmq_queue_jobs{{{Q}, state=~"wait|prioritized"}})',
                     "{{queue}}")], "short", w=12, h=9, threshold="bullmq_waiting"),
        timeseries("Oldest waiting job", f"Age of the oldest job waiting in each queue "
                   f"(bullmq_queue_oldest_waiting_job_age_seconds, {src}).",
                   [(f"bullmq_queue_oldest_waiting_job_age_seconds{{{Q}}}", "{{queue}}")], "s", w=8,
                   threshold="bullmq_oldest"),
        timeseries("Throughput", f"Jobs completed and failed per second: the growth of the completed and failed sets "
                   f"(deriv of bullmq_queue_jobs{{state=\"completed\"|\"failed\"}}, {src}); retention trimming can hide some.",
                   [(f'clamp_min(sum by (server, prefix, queue) (deriv(bullmq_queue_jobs{{{Q}, state="completed"}}[{RI}])), 0)',
                     "{{queue}} completed"),
                    (f'clamp_min(sum by (server, prefix, queue) (deriv(bullmq_queue_jobs{{{Q}, state="failed"}}[{RI}])), 0)',
                     "{{queue}} failed")], "ops", w=8),
        stat("Paused queues", f"Whether each queue is paused (bullmq_queue_paused, {src}).",
             [(f"bullmq_queue_paused{{{Q}}}", "{{queue}}")], "bool_yes_no", w=4, threshold="bullmq_paused"),
        stat("Failed jobs (10 min)", f"Change of each queue's failed set over 10 minutes "
             f"(delta of bullmq_queue_jobs{{state=\"failed\"}}, {src}); the window is the alert's.",
             [(f'delta(bullmq_queue_jobs{{{Q}, state="failed"}}[10m])', "{{queue}}")], "short", w=4,
             threshold="bullmq_failed_10m"),
        stat("Queues ignored", f"BullMQ queues beyond bullmq.max_queues, not counted (bullmq_queues_ignored, {src}).",
             [(f"bullmq_queues_ignored{{{S}}}", "{{server}}")], "short", w=4, threshold="bullmq_ignored"),
        stat("Oldest waiting job", f"Age of the oldest waiting job per queue now "
             f"(bullmq_queue_oldest_waiting_job_age_seconds, {src}).",
             [(f"bullmq_queue_oldest_waiting_job_age_seconds{{{Q}}}", "{{queue}}")], "s", w=4, threshold="bullmq_oldest"),
    ])
    streams = row("Streams", [
        timeseries("Stream length", f"Entries in each stream: the streams of check_streams / check_single_streams "
                   f"and the events streams of the counted BullMQ queues (redis_stream_length{{db, stream}}, "
                   f"XINFO STREAM, {src}). An events stream at BullMQ's maxLenEvents is being trimmed.",
                   [(f"redis_stream_length{{{S}}}", "{{server}} {{db}} {{stream}}")], "short", w=8),
        timeseries("Time since the last entry", f"Seconds since the newest entry id of each stream was generated "
                   f"(time() - redis_stream_last_generated_id / 1000; ids are the millisecond part of the entry id, "
                   f"{src}); a stream that stops growing shows a rising line.",
                   [(f"time() - redis_stream_last_generated_id{{{S}}} / 1000 > 0", "{{server}} {{db}} {{stream}}")],
                   "s", w=8),
        timeseries("Consumer groups: lag and pending", f"Per consumer group, entries not yet delivered "
                   f"(redis_stream_group_lag, Redis 7) and delivered but not acknowledged "
                   f"(redis_stream_group_messages_pending; XINFO GROUPS, {src}).",
                   [(f"redis_stream_group_lag{{{S}}}", "{{server}} {{stream}} {{group}} lag"),
                    (f"redis_stream_group_messages_pending{{{S}}}", "{{server}} {{stream}} {{group}} pending")],
                   "short", w=8),
        timeseries("Pending per consumer", f"Messages delivered to each consumer and not yet acknowledged "
                   f"(redis_stream_group_consumer_messages_pending{{db, stream, group, consumer}}, XINFO CONSUMERS, {src}).",
                   [(f"redis_stream_group_consumer_messages_pending{{{S}}}",
                     "{{server}} {{stream}} {{group}} {{consumer}}")], "short", w=12),
        timeseries("Consumer idle time", f"Seconds since each consumer last read or acknowledged "
                   f"(redis_stream_group_consumer_idle_seconds, {src}).",
                   [(f"redis_stream_group_consumer_idle_seconds{{{S}}}",
                     "{{server}} {{stream}} {{group}} {{consumer}}")], "s", w=12),
    ], collapsed=False)
    config = row("Configuration", [
        stat("maxmemory", f"The maxmemory setting; 0 is no limit (redis_config_maxmemory, CONFIG GET, {src}).",
             [(f"redis_config_maxmemory{{{S}}}", "{{server}}")], "bytes", w=4),
        stat("maxclients", f"The maxclients setting (redis_config_maxclients, CONFIG GET, {src}).",
             [(f"redis_config_maxclients{{{S}}}", "{{server}}")], "short", w=4),
        stat("io-threads", f"The io-threads setting (redis_config_io_threads, CONFIG GET, {src}).",
             [(f"redis_config_io_threads{{{S}}}", "{{server}}")], "short", w=4),
        table("Numeric settings", f"Every numeric setting Vigil reads (redis_config_value{{key}}: the dashboard's "
              f"settings, every CONFIG GET * setting with include_config_metrics; secrets are never exported; {src}).",
              [(f"redis_config_value{{{S}}}", "")], "none", w=12, hide=("Time", "job", "instance")),
    ])
    variables = [JOB_VAR, query_var("server", "Server", "redis_up", f"{{{J}}}"),
                 query_var("queue", "BullMQ queue", "bullmq_queue_jobs", f"{{{S}}}")]
    return dashboard(UIDS["redis"], "Vigil / Redis and BullMQ",
                     "Every Redis server Vigil watches: memory, clients, commands, keyspace and key patterns, "
                     "replication and persistence; the BullMQ queues in it per queue and state; streams and "
                     "consumer groups; configuration.", ["redis", "bullmq"],
                     variables, [overview_row, memory, clients, commands, keyspace, repl, bullmq, streams, config])


def vigil_self():
    collectors = row("Collectors", [
        stat("Collectors failing", "Targets whose last collection failed (vigil_collector_success == 0; Vigil's "
             "scheduler, one series per collector and target).",
             [(f"count(vigil_collector_success{{{J}}} == 0) or vector(0)", "failing")], "short", w=4,
             steps=FIRING_STEPS),
        timeseries("Collection success", "1 when the target's last collection succeeded "
                   "(vigil_collector_success, Vigil's scheduler).",
                   [(f"min by (collector, target) (vigil_collector_success{{{J}}})", "{{collector}} {{target}}")],
                   "bool_yes_no", w=10, threshold="collector_success"),
        timeseries("Collection duration", "How long each target's last collection took "
                   "(vigil_collector_duration_seconds, Vigil's scheduler).",
                   [(f"max by (collector, target) (vigil_collector_duration_seconds{{{J}}})", "{{collector}} {{target}}")],
                   "s", w=10),
        timeseries("Time since last success", "Seconds since each target's last successful collection "
                   "(time() - vigil_collector_last_success_timestamp_seconds, Vigil's scheduler).",
                   [(f"time() - max by (collector, target) (vigil_collector_last_success_timestamp_seconds{{{J}}})",
                     "{{collector}} {{target}}")], "s", w=8, threshold="collector_stalled"),
        timeseries("Skipped cycles", "Collection cycles skipped because the previous one overran its interval "
                   "(vigil_collector_skipped_total, Vigil's scheduler).",
                   [(f"sum by (collector, target) (increase(vigil_collector_skipped_total{{{J}}}[{RI}]))",
                     "{{collector}} {{target}}")], "short", w=8),
        stat("Skipped cycles (10 min)", "Skipped cycles of the worst target over 10 minutes "
             "(vigil_collector_skipped_total); the window is the alert's.",
             [(f"max(increase(vigil_collector_skipped_total{{{J}}}[10m]))", "worst target")], "short", w=8,
             threshold="skipped_10m"),
    ])
    targets = row("Scrapes, probes and backups", [
        timeseries("Scrape targets up", "1 when Vigil's last scrape of an application target succeeded "
                   "(vigil_scrape_up, scrape collector).",
                   [(f"vigil_scrape_up{{{J}}}", "{{instance}}")], "bool_yes_no", w=6, threshold="target_up"),
        timeseries("Scrape duration", "How long each application scrape took (vigil_scrape_duration_seconds, "
                   "scrape collector).", [(f"vigil_scrape_duration_seconds{{{J}}}", "{{instance}}")], "s", w=6),
        timeseries("Probe success", "1 when the last blackbox-style probe succeeded (probe_success, probes collector).",
                   [(f"probe_success{{{J}}}", "{{probe}} {{instance}}")], "bool_yes_no", w=6, threshold="probe_success"),
        timeseries("Probe duration", "How long each probe took (probe_duration_seconds, probes collector).",
                   [(f"probe_duration_seconds{{{J}}}", "{{probe}} {{instance}}")], "s", w=6),
        stat("Backup listings", "1 when the backups collector could list the backup set (backup_up: folder or S3).",
             [(f"backup_up{{{J}}}", "{{backup}}")], "bool_yes_no", w=6, threshold="backup_listing"),
        timeseries("Backup files", "Files in each backup set (backup_files, backups collector).",
                   [(f"backup_files{{{J}}}", "{{backup}}")], "short", w=6),
        timeseries("Newest backup size", "Size of the newest and the previous backup (backup_newest_size_bytes, "
                   "backup_previous_size_bytes, backups collector).",
                   [(f"backup_newest_size_bytes{{{J}}}", "{{backup}} newest"),
                    (f"backup_previous_size_bytes{{{J}}}", "{{backup}} previous")], "bytes", w=6),
        timeseries("Scraped samples", "Samples each application scrape returned (vigil_scrape_samples_scraped, "
                   "scrape collector).", [(f"vigil_scrape_samples_scraped{{{J}}}", "{{instance}}")], "short", w=6),
    ])
    rules = row("Rules", [
        timeseries("Rule group duration", "How long each rule group's last evaluation took "
                   "(vigil_rule_group_last_duration_seconds, rule engine).",
                   [(f"vigil_rule_group_last_duration_seconds{{{J}}}", "{{rule_group}}")], "s", w=8),
        timeseries("Rule group evaluations", "Evaluations per second of each group (vigil_rule_group_evaluations_total, "
                   "rule engine).", [(f"rate(vigil_rule_group_evaluations_total{{{J}}}[{RI}])", "{{rule_group}}")],
                   "ops", w=8),
        stat("Missed iterations (10 min)", "Evaluations skipped because a group overran its interval, over 10 minutes "
             "(vigil_rule_group_iterations_missed_total, rule engine); the window is the alert's.",
             [(f"sum(increase(vigil_rule_group_iterations_missed_total{{{J}}}[10m]))", "missed")], "short", w=4,
             threshold="missed_10m"),
        stat("Evaluation failures (5 min)", "Rule evaluations that failed over 5 minutes "
             "(vigil_rule_evaluation_failures_total, rule engine); the window is the alert's.",
             [(f"sum(increase(vigil_rule_evaluation_failures_total{{{J}}}[5m]))", "failures")], "short", w=4,
             threshold="rule_failures_5m"),
        timeseries("Rule history memory", "Memory the rule engine's history of samples takes "
                   "(vigil_rule_history_memory_bytes, rule engine).",
                   [(f"vigil_rule_history_memory_bytes{{{J}}}", "memory")], "bytes", w=8),
        timeseries("Rule history series", "Series and samples held by the rule engine's history "
                   "(vigil_rule_history_series, vigil_rule_history_samples).",
                   [(f"vigil_rule_history_series{{{J}}}", "series"), (f"vigil_rule_history_samples{{{J}}}", "samples")],
                   "short", w=8),
    ])
    alerts = row("Alerts", [
        timeseries("Alerts by state", "Pending and firing alerts of Vigil's rule engine (ALERTS on Vigil's /metrics).",
                   [(f"count by (alertstate) (ALERTS{{{J}}})", "{{alertstate}}")], "short", w=8, stack=True),
        timeseries("Alerts by severity", "Firing alerts per severity label (ALERTS{alertstate=\"firing\"}).",
                   [(f'count by (severity) (ALERTS{{{J}, alertstate="firing"}})', "{{severity}}")], "short", w=8,
                   stack=True),
        table("Active alerts", "Every pending or firing alert with its labels and the time its pending phase began "
              "(ALERTS_FOR_STATE, seconds since the epoch).",
              [(f"ALERTS_FOR_STATE{{{J}}} * 1000", "")], "dateTimeAsIso", w=8, hide=("Time", "instance", "job")),
    ])
    notifications = row("Notifications", [
        timeseries("Notifications by receiver and outcome", "Notifications sent per receiver, integration and outcome "
                   "in each rate interval (vigil_notifications_total, notifier).",
                   [(f"sum by (receiver, integration, outcome) (increase(vigil_notifications_total{{{J}}}[{RI}]))",
                     "{{receiver}} {{integration}} {{outcome}}")], "short", w=8, bars=True),
        timeseries("Delivery latency", "p50 and p95 of the time from an alert's notification being due to its delivery "
                   "(vigil_notification_delivery_seconds, notifier).",
                   [(f"histogram_quantile({q}, sum by (receiver, le) (rate(vigil_notification_delivery_seconds_bucket{{{J}}}[{RI}])))",
                     f"{{{{receiver}}}} p{int(q * 100)}") for q in (0.5, 0.95)], "s", w=8),
        timeseries("Outbox", "Notifications written to the durable outbox and not yet delivered or given up, and the age "
                   "of the oldest (vigil_notification_outbox_entries, _oldest_age_seconds, notifier).",
                   [(f"vigil_notification_outbox_entries{{{J}}}", "entries")], "short", w=4),
        timeseries("Outbox oldest entry", "Age of the oldest outbox entry (vigil_notification_outbox_oldest_age_seconds, "
                   "notifier).", [(f"vigil_notification_outbox_oldest_age_seconds{{{J}}}", "oldest")], "s", w=4),
        heatmap("Delivery latency distribution", "Deliveries per latency bucket "
                "(vigil_notification_delivery_seconds, notifier).",
                f"sum by (le) (increase(vigil_notification_delivery_seconds_bucket{{{J}}}[{RI}]))", "s", w=24, h=7),
    ])
    process = row("HTTP and process", [
        stat("Scraped by Prometheus", "Whether Prometheus' last scrape of Vigil's /metrics succeeded "
             "(up, written by Prometheus itself).", [(f"up{{{J}}}", "{{instance}}")], "bool_yes_no", w=4,
             steps=[{"color": "red", "value": None}, {"color": "green", "value": 1}]),
        timeseries("/metrics scrape duration", "How long Prometheus' scrape of Vigil's /metrics took "
                   "(scrape_duration_seconds, written by Prometheus).",
                   [(f"scrape_duration_seconds{{{J}}}", "{{instance}}")], "s", w=10),
        timeseries("/metrics series", "Samples in Vigil's /metrics as Prometheus scraped it (scrape_samples_scraped, "
                   "written by Prometheus).", [(f"scrape_samples_scraped{{{J}}}", "{{instance}}")], "short", w=10),
        timeseries("CPU", "CPU time Vigil used per second: 1 is one core (process_cpu_seconds_total, process collector).",
                   [(f"rate(process_cpu_seconds_total{{{J}}}[{RI}])", "{{instance}}")], "percentunit", w=8),
        timeseries("Memory", "Resident memory of the Vigil process (process_resident_memory_bytes, process collector).",
                   [(f"process_resident_memory_bytes{{{J}}}", "{{instance}} resident")], "bytes", w=8),
        timeseries("Open file descriptors", "File descriptors Vigil holds open (process_open_fds, process collector).",
                   [(f"process_open_fds{{{J}}}", "{{instance}}")], "short", w=8),
        stat("Configuration reload", "Whether the last configuration reload succeeded "
             "(vigil_config_last_reload_successful).", [(f"vigil_config_last_reload_successful{{{J}}}", "{{instance}}")],
             "bool_yes_no", w=4, threshold="reload"),
        table("Build", "Version and build of each Vigil (vigil_build_info).", [(f"vigil_build_info{{{J}}}", "")],
              "none", w=20, h=4, hide=("Time", "Value")),
    ])
    return dashboard(UIDS["self"], "Vigil / Vigil",
                     "Vigil itself: collectors, scrapes, probes and backups, rule groups, alerts, notifications, "
                     "and the process.", ["self"], [JOB_VAR],
                     [collectors, targets, rules, alerts, notifications, process])


# ---------------------------------------------------------------------------------------------
# Output

FILES = {"vigil-overview.json": overview, "vigil-postgres.json": postgres, "vigil-redis.json": redis,
         "vigil-self.json": vigil_self}


def panels_of(d):
    for p in d["panels"]:
        if p["type"] == "row":
            yield from p.get("panels", [])
        else:
            yield p


def readme(boards):
    lines = [
        "# Dashboards",
        "",
        "Grafana dashboards for the metrics Vigil exports, for Grafana 10 and 11 (schemaVersion "
        f"{SCHEMA_VERSION}, core panel types only). Generated by `generate.py` (Python 3, standard library) with "
        "this file; edit the generator, run it, commit both (`DashboardTests` fails when they differ).",
        "",
        "* **Import**: Dashboards ▸ New ▸ Import ▸ upload a JSON file, then pick a Prometheus data source in the "
        "`datasource` variable at the top (no data source uid is hard-coded).",
        "* **Provision**: copy `provisioning/datasources/vigil.yml` and `provisioning/dashboards/vigil.yml` into "
        "Grafana's `provisioning/` folder and point the provider's `path` at this folder.",
        "* **Variables**: `datasource`; `job` (the Prometheus job scraping Vigil); `server`, `datname`, `queue` "
        "(multi-select with All; All is `.*`, so series without a `server` label — one target of a kind — still "
        "show); `vigil_url`, where Vigil's web interface answers (the *Vigil status page* link opens `/` there).",
        "* **Thresholds**: stats and graphs are coloured where the shipped alert in `rules/` fires (the generator "
        "reads the numbers and severities from the rule files): orange for warning, red for critical; each panel's "
        "description names the alert. Fixed windows (`[5m]`, `[10m]`) appear only where a panel shows an alert's own "
        "window; every other rate uses `$__rate_interval`.",
        "* Defaults: last 6 hours, refresh 30 s, links between the four dashboards (tag `vigil`).",
        "",
        "## Public dashboards (Grafana.com 9628, 763, 11835)",
        "",
        "Vigil exports every family of Debian's postgres_exporter 0.11 and redis_exporter 1.45 under the same "
        "name, type and labels (checked by `PostgresExporterComparisonTests` and `RedisExporterComparisonTests`), "
        "so panels written against those names find their series; the one 0.11 family that changed, "
        "`pg_stat_database_active_time` (now `pg_stat_database_active_time_seconds_total`), and the names of "
        "postgres_exporter before 0.11 (`pg_stat_bgwriter_*` without `_total`, `pg_replication_lag`) come back "
        "with the recording rules in `compat/exporter-legacy-names.yml` (load them into Prometheus or Vigil). "
        "Those dashboards pick a server with `instance`, which is Vigil's own address for every server it "
        "watches: selecting it shows every server of that kind (the `server` label, present when Vigil watches "
        "more than one of a kind, tells them apart), and a panel that aggregates over it adds them up (763's "
        "*Memory Usage*, `sum(100 * used / max)`, is +Inf when one of them has no maxmemory).",
        "",
        "Checked panel by panel by `scripts/check-public-dashboards ID=FILE...` (`check-public.py`: every panel, "
        "rows and legacy `rows[]` included; variables resolved through Prometheus' label and query APIs as Grafana "
        "resolves them, a variable without values as the empty string; each query run against a Prometheus "
        "scraping Vigil with the compat rules loaded and one scraping Debian's exporters on the same servers). "
        "The dashboards' JSON belongs to their authors and is not committed; `compat/public-dashboards.json` holds "
        "what was derived from it (per panel: metrics, labels needed, verdict), and `DashboardTests` proves Vigil "
        "serves every metric with every label it lists. The tables below are generated from that file.",
        "",
        *public_tables(),
        "Every query of every panel is run against live data by `DashboardTests` (Vigil against the PostgreSQL "
        "primary and replica, Redis and its replica, BullMQ queues, an instrumented app, probes and backups of "
        "`scripts/test`, scraped by a real Prometheus): each must return a series with a finite value. Grafana itself is not installed "
        "there, so the JSON model is checked structurally, not rendered.",
        "",
    ]
    for file, d in boards:
        lines += [f"## {d['title']} (`{file}`, uid `{d['uid']}`)", "", d["description"], ""]
        lines += ["| row | panel | type | unit | query |", "|---|---|---|---|---|"]
        current = ""
        for p in d["panels"]:
            group = [p] if p["type"] != "row" else p.get("panels", [])
            if p["type"] == "row":
                current = p["title"]
                if not group:
                    continue
            for q in group:
                if q["type"] == "row":
                    continue
                exprs = "<br>".join("`" + t["expr"].replace("|", "\\|") + "`" for t in q["targets"])
                lines.append(f"| {current} | {q['title']} | {q['type']} | {q['fieldConfig']['defaults']['unit']} | {exprs} |")
        # rows that are expanded list their panels after them at the top level
        lines.append("")
    return "\n".join(lines)


def public_tables():
    """The per-panel verdicts of compat/public-dashboards.json, rendered by check-public.py."""
    facts = HERE / "compat" / "public-dashboards.json"
    if not facts.exists():
        return []
    spec = importlib.util.spec_from_file_location("check_public", HERE / "check-public.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(facts, encoding="utf-8") as f:
        return module.render(json.load(f)).rstrip("\n").split("\n") + [""]


def render():
    out = {}
    boards = []
    for file, make in FILES.items():
        d = make()
        boards.append((file, d))
        out[file] = json.dumps(d, indent=2, ensure_ascii=False) + "\n"
    out["README.md"] = readme(boards)
    return out


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for name, text in render().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print("out of date (run dashboards/generate.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
