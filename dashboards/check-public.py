#!/usr/bin/env python3
"""Checks public Grafana dashboards (written for postgres_exporter / redis_exporter) against Vigil.

  check-public.py check --vigil URL --peer URL --compat RULES.yml --out FACTS.json ID=DASHBOARD.json...
  check-public.py render FACTS.json [--update README.md ...]

check: walks every panel of each dashboard (schema rows[], top-level panels, rows' nested
panels), takes every target's expr, expands the template variables the way Grafana does
(label_values() and query_result() through Prometheus' label and query APIs, with the
variable's regex; All as allValue or every value; a variable with no values as the empty string,
which Grafana substitutes; $__interval, $__rate_interval, $interval, $__range... as concrete
durations) and runs each query as an instant query against two Prometheus servers:

  --vigil  one scraping Vigil, with the recording rules of --compat loaded;
  --peer   one scraping postgres_exporter and redis_exporter on the same servers (the reference).

A panel's verdict is "unchanged" when every query with data on the peer has data on Vigil without
any name the compat rules record, "compat" when it needs those names, "missing" when a query with
data on the peer has none on Vigil (the reason says which metric or label), "empty-on-peer" when
no query has data on the peer nor on Vigil. A panel empty on the peer with data on Vigil is judged
by Vigil's queries (and says so). Writes FACTS.json: per panel the metric names its queries select,
the metrics and labels its queries with data on Vigil need ("needs"), and the verdict with its
reasons. Standard library only.

render: prints (or, with --update, writes between the markers
`<!-- public-dashboards:begin -->` and `<!-- public-dashboards:end -->` of each file) the
Markdown tables made from FACTS.json (with --summary, one line per dashboard).
"""
import argparse
import json
import re
import sys
import time
import urllib.parse
import urllib.request

BEGIN = "<!-- public-dashboards:begin -->"
END = "<!-- public-dashboards:end -->"

# Grafana's own interval variables, as concrete durations for an instant query: the scrape
# interval of the check (1 s) makes Grafana's $__interval small; $__rate_interval is at least
# four scrape intervals.
BUILTINS = {
    "__rate_interval": "15s", "__interval": "5s", "__interval_ms": "5000", "__range": "1m",
    "__range_s": "60", "__range_ms": "60000", "__auto_interval_interval": "5s",
}

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or",
    "unless", "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk",
    "quantile", "count_values", "group", "inf", "nan", "atan2",
}


def fail(message):
    print(f"check-public: {message}", file=sys.stderr)
    sys.exit(2)


class Prometheus:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.non_finite = 0  # series of the last query whose value was NaN or ±Inf

    def get(self, path, params):
        query = urllib.parse.urlencode(params, doseq=True)
        try:
            with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as r:
                body = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                body = json.load(e)
            except ValueError:
                return {"status": "error", "error": f"HTTP {e.code}"}
        except (OSError, ValueError) as e:
            return {"status": "error", "error": str(e)}
        return body

    def query(self, expr):
        """(samples, error): samples as [(labels, value)], finite values only."""
        body = self.get("/api/v1/query", {"query": expr})
        if body.get("status") != "success":
            return [], f"{body.get('errorType', '')}: {body.get('error', '')}".strip(": ")
        data = body["data"]
        if data["resultType"] == "scalar":
            result = [{"metric": {}, "value": data["result"]}]
        elif data["resultType"] == "vector":
            result = data["result"]
        else:
            return [], f"result type {data['resultType']}"
        out, self.non_finite = [], 0
        for s in result:
            try:
                v = float(s["value"][1])
            except (TypeError, ValueError, IndexError):
                continue
            if v == v and v not in (float("inf"), float("-inf")):
                out.append((s["metric"], v))
            else:
                self.non_finite += 1
        return out, None

    def label_values(self, label, match=None):
        params = {"match[]": [match]} if match else {}
        body = self.get(f"/api/v1/label/{urllib.parse.quote(label)}/values", params)
        return body.get("data", []) if body.get("status") == "success" else []

    def series(self, match):
        body = self.get("/api/v1/series", {"match[]": [match]})
        return body.get("data", []) if body.get("status") == "success" else []


# --- dashboards --------------------------------------------------------------------------------

def panels_of(dashboard):
    """Every panel, in order: top-level panels, panels nested in rows, and the rows[] of old schemas."""
    def walk(panels):
        for p in panels if isinstance(panels, list) else []:
            if isinstance(p, dict):
                yield p
                yield from walk(p.get("panels"))
    yield from walk(dashboard.get("panels"))
    for row in dashboard.get("rows") if isinstance(dashboard.get("rows"), list) else []:
        if isinstance(row, dict):
            yield from walk(row.get("panels"))


def data_panels(dashboard):
    for p in panels_of(dashboard):
        if p.get("type") in ("row", "text", "dashlist", "news"):
            continue
        targets = p.get("targets") if isinstance(p.get("targets"), list) else []
        exprs = [t["expr"] for t in targets
                 if isinstance(t, dict) and isinstance(t.get("expr"), str) and t["expr"] and not t.get("hide")]
        yield p, exprs


def substitute(text, values):
    """Grafana's substitution of $name, ${name} and [[name]], longest names first."""
    for name in sorted(values, key=len, reverse=True):
        v = values[name]
        text = text.replace("${%s}" % name, v).replace("[[%s]]" % name, v)
        text = re.sub(r"\$%s(?![A-Za-z0-9_])" % re.escape(name), lambda _m: v, text)
    return text


def regex_escape(value):
    # Grafana's Prometheus data source escapes regex metacharacters of multi-value selections
    # and writes the backslash doubled inside the PromQL string.
    return re.sub(r"([\\^$*+?.()|{}\[\]])", r"\\\\\1", value)


def resolve_variables(dashboard, prom):
    """{name: value} as Grafana would substitute them, resolved against `prom`."""
    values = dict(BUILTINS)
    for v in (dashboard.get("templating") or {}).get("list", []):
        name, kind = v.get("name"), v.get("type")
        if kind == "interval":
            values[name] = "5s"
            continue
        if kind == "datasource":
            values[name] = "prometheus"
            continue
        if kind == "constant":
            values[name] = str(v.get("query", ""))
            continue
        if kind == "custom":
            options = [o.strip() for o in str(v.get("query", "")).split(",") if o.strip()]
        elif kind == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            options = query_variable(substitute(str(q or v.get("definition") or ""), values), prom)
        else:
            continue
        if v.get("regex"):
            options = apply_regex(options, v["regex"])
        if v.get("sort") in (1, 3, 5, 7):
            options = sorted(set(options))
        elif v.get("sort") in (2, 4, 6, 8):
            options = sorted(set(options), reverse=True)
        else:
            seen = []
            for o in options:
                if o not in seen:
                    seen.append(o)
            options = seen
        if v.get("includeAll"):
            allv = v.get("allValue")
            if allv:
                values[name] = allv
            elif options:
                values[name] = "(" + "|".join(regex_escape(o) for o in options) + ")"
            else:
                values[name] = ""
        else:
            # A variable without a saved selection shows its first option; with none, Grafana
            # substitutes the empty string ("None").
            values[name] = regex_escape(options[0]) if v.get("multi") and options else (options[0] if options else "")
    return values


def query_variable(query, prom):
    query = query.strip()
    m = re.fullmatch(r"label_values\((.*)\)", query, re.S)
    if m:
        inner = m.group(1).strip()
        if "," in inner:
            selector, label = inner.rsplit(",", 1)
            return prom.label_values(label.strip(), selector.strip())
        return prom.label_values(inner)
    m = re.fullmatch(r"query_result\((.*)\)", query, re.S)
    if m:
        samples, _ = prom.query(m.group(1))
        out = []
        for labels, value in samples:
            name = labels.get("__name__", "")
            body = ",".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__")
            out.append(f"{name}{{{body}}} {value:g} 0")
        return out
    m = re.fullmatch(r"metrics\((.*)\)", query, re.S)
    if m:
        return [n for n in prom.label_values("__name__") if re.search(m.group(1), n)]
    return []


def apply_regex(options, regex):
    m = re.fullmatch(r"/(.*)/([a-z]*)", regex, re.S)
    pattern, flags = (m.group(1), m.group(2)) if m else (regex, "")
    rx = re.compile(pattern, re.I if "i" in flags else 0)
    out = []
    for o in options:
        found = rx.search(o) if not pattern.startswith("^") else rx.match(o)
        if found:
            out.append(found.group(1) if found.groups() else o)
    return out


# --- what a query needs ---------------------------------------------------------------------------

STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')


def needs(expr):
    """(metric names, {metric: labels}) a PromQL expression selects, by a light tokenizer:
    label names of matchers whose value does not match the empty string, and of by()/on()
    groupings (attributed to every metric of the expression)."""
    strings = []

    def keep(m):
        strings.append(m.group(0)[1:-1])
        return f'"\x00{len(strings) - 1}\x00"'
    text = STRING.sub(keep, expr)
    metrics, labels = [], {}
    group_labels = set()
    for m in re.finditer(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", text):
        if m.group(1) in ("by", "on", "group_left", "group_right"):
            group_labels |= {x.strip() for x in m.group(2).split(",") if x.strip()}
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    pos = 0
    token = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?|\{[^}]*\}|\[[^\]]*\]|\d+(?:\.\d+)?[smhdwy]?|.", re.S)
    while pos < len(text):
        m = token.match(text, pos)
        pos = m.end()
        word, braces = m.group(1), m.group(2)
        after = text[pos:pos + 1] if pos < len(text) else ""
        rest = text[pos:].lstrip()
        if word is None:
            if m.group(0).startswith("{"):
                # {__name__="x", ...}
                sel = parse_matchers(m.group(0), strings)
                for k, op, v in sel:
                    if k == "__name__" and op == "=":
                        metrics.append(v)
                        labels.setdefault(v, set()).update(required_labels(sel))
            continue
        if rest.startswith("(") and not braces:
            continue  # a function or an aggregation
        if word.lower() in KEYWORDS and not braces:
            continue
        if re.fullmatch(r"\d.*", word):
            continue
        metrics.append(word)
        labels.setdefault(word, set())
        if braces:
            labels[word].update(required_labels(parse_matchers(braces, strings)))
    for name in metrics:
        labels[name] |= group_labels
    return sorted(set(metrics)), {k: sorted(v - {"__name__"}) for k, v in labels.items()}


def parse_matchers(braces, strings):
    out = []
    for m in re.finditer(r'([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"\x00(\d+)\x00"', braces):
        out.append((m.group(1), m.group(2), strings[int(m.group(3))]))
    return out


def required_labels(matchers):
    need = set()
    for k, op, v in matchers:
        if k == "__name__":
            continue
        if op == "=" and v != "":
            need.add(k)
        elif op == "=~":
            try:
                if not re.fullmatch(v.replace("\\\\", "\\"), ""):
                    need.add(k)
            except re.error:
                need.add(k)
    return need


# --- the check -------------------------------------------------------------------------------------

def ports(value):
    """A variable's value without the throwaway port numbers of the check (stable facts)."""
    return re.sub(r":\d{2,5}\b", ":PORT", value)


def compat_names(path):
    names = []
    for line in open(path, encoding="utf-8"):
        m = re.match(r"\s*-\s*record:\s*([A-Za-z_:][A-Za-z0-9_:]*)", line)
        if m:
            names.append(m.group(1))
    return names


def diagnose(expr, metric_labels, vigil, peer):
    """Why a query has data on the peer and none on Vigil."""
    vigil.query(expr)
    if vigil.non_finite:
        return [f"the value is not finite on Vigil ({vigil.non_finite} series NaN or ±Inf): $instance selects "
                "every server Vigil watches of that kind, and one of them makes the expression divide by zero "
                "(select one with the server label instead)"]
    reasons = []
    for name, labels in sorted(metric_labels.items()):
        if not vigil.series(name):
            reasons.append(f"metric {name} not served" + ("" if peer.series(name) else " (nor by the peer)"))
            continue
        have = set()
        for s in vigil.series(name)[:200]:
            have |= set(s)
        lacking = [l for l in labels if l not in have]
        if lacking:
            reasons.append(f"{name} has no label {', '.join(lacking)}")
    if not reasons:
        reasons.append("the selectors match on the peer only (label values differ)")
    return reasons


def check(args):
    vigil, peer = Prometheus(args.vigil), Prometheus(args.peer)
    for name, prom in (("--vigil", vigil), ("--peer", peer)):
        samples, err = prom.query("up")
        if err or not samples:
            fail(f"{name} {prom.url}: no Prometheus with scraped targets answers there ({err or 'no up series'})")
    compat = set(compat_names(args.compat))
    titles = dict(t.split("=", 1) for t in args.title)
    sources = dict(t.split("=", 1) for t in args.source)
    out = {"generated_by": "dashboards/check-public.py", "compat_rules": args.compat_name,
           "vigil_variables_note": "instance is Vigil's own address: it selects every server of a kind",
           "dashboards": []}
    for spec in args.dashboards:
        if "=" not in spec:
            fail(f"{spec}: expected ID=FILE")
        gid, path = spec.split("=", 1)
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"{path}: {e}")
        if not isinstance(d, dict):
            fail(f"{path}: not a dashboard (a JSON object)")
        d = d.get("dashboard", d) if isinstance(d.get("dashboard"), dict) else d  # an export wrapped for the API
        vv, pv = resolve_variables(d, vigil), resolve_variables(d, peer)
        pchoices = choices(d, pv, peer)
        entry = {"id": int(gid) if gid.isdigit() else gid, "title": titles.get(gid, d.get("title", "")),
                 "source": sources.get(gid, ""),
                 "variables": {k: {"vigil": ports(vv[k]), "peer": ports(pv[k])} for k in vv if k not in BUILTINS},
                 "panels": []}
        for p, exprs in data_panels(d):
            panel = {"title": p.get("title", ""), "type": p.get("type", ""), "queries": []}
            metrics, labels = set(), {}
            for expr in exprs:
                ve, pe = substitute(expr, vv), substitute(expr, pv)
                names, need = needs(ve)
                vs, verr = query_until(vigil, ve, args.settle)
                ps, perr, pe = best_choice(peer, expr, pchoices)
                # The query itself stays out of the facts (the dashboard is its authors'): what it selects.
                q = {"metrics": names, "vigil_series": len(vs), "peer_series": len(ps)}
                if not vs and vigil.non_finite:
                    q["vigil_non_finite"] = vigil.non_finite
                if not ps and peer.non_finite:
                    q["peer_non_finite"] = peer.non_finite
                if verr:
                    q["vigil_error"] = verr
                if perr:
                    q["peer_error"] = perr
                uses_compat = sorted(set(names) & compat)
                if uses_compat:
                    q["compat_names"] = uses_compat
                if vs and ps:
                    pk = sorted(set().union(*(set(l) for l, _ in ps)) - {"__name__"})
                    vk = sorted(set().union(*(set(l) for l, _ in vs)) - {"__name__"})
                    if pk != vk:
                        q["labels"] = {"vigil": vk, "peer": pk}
                if ps and not vs:
                    q["reasons"] = diagnose(ve, need, vigil, peer)
                panel["queries"].append(q)
                metrics |= set(names)
                if vs:  # what the panel needs to show what it shows on Vigil
                    for k, v in need.items():
                        labels.setdefault(k, set()).update(v)
            panel["metrics"] = sorted(metrics)
            panel["needs"] = {k: sorted(v) for k, v in sorted(labels.items())}
            panel["verdict"], panel["why"] = verdict(panel["queries"])
            entry["panels"].append(panel)
        out["dashboards"].append(entry)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    for d in out["dashboards"]:
        counts = {}
        for p in d["panels"]:
            counts[p["verdict"]] = counts.get(p["verdict"], 0) + 1
        print(f"{d['id']} {d['title']}: {len(d['panels'])} panels {counts}")
        for p in d["panels"]:
            if p["verdict"] in ("missing", "empty-on-peer"):
                print(f"   {p['verdict']}: {p['title']}: {p['why']}")


def choices(dashboard, values, prom):
    """The peer's single-select variables tried one option at a time (up to 8 each): one exporter
    per server means each server is its own `instance`, and a panel works on the peer when it
    works for one of them (Vigil's `instance` is one value, every server of a kind)."""
    out = [values]
    for v in (dashboard.get("templating") or {}).get("list", []):
        if v.get("type") != "query" or v.get("multi") or v.get("includeAll"):
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        options = query_variable(substitute(str(q or v.get("definition") or ""), values), prom)
        if v.get("regex"):
            options = apply_regex(options, v["regex"])
        for o in sorted(set(options))[:8]:
            if o != values[v["name"]]:
                out.append(dict(values, **{v["name"]: o}))
    return out


def best_choice(prom, expr, value_sets):
    """(samples, error, expanded expr) of the first variable choice that gives data, else the first."""
    first = None
    for values in value_sets:
        e = substitute(expr, values)
        samples, err = prom.query(e)
        if first is None:
            first = (samples, err, e)
        if samples:
            return samples, err, e
    return first


def query_until(prom, expr, seconds):
    """Rate windows fill while the check runs: a query without data is asked again (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        samples, err = prom.query(expr)
        if samples or err or time.monotonic() >= deadline:
            return samples, err
        time.sleep(1)


def verdict(queries):
    """The panel's verdict from its queries: the queries with data on the peer must have data on
    Vigil; when none has data on the peer, the panel is judged by what Vigil shows."""
    if not queries:
        return "no-query", "the panel has no Prometheus query"
    on_peer = [q for q in queries if q["peer_series"] > 0]
    note = ""
    required = on_peer
    if not on_peer:
        required = [q for q in queries if q["vigil_series"] > 0]
        if not required:
            if any(q.get("peer_non_finite") for q in queries):
                return "empty-on-peer", ("the value is not finite on the peer either (NaN or ±Inf: the selected "
                                         "server has no limit, so the ratio divides by zero)")
            errs = [q.get("peer_error") for q in queries if q.get("peer_error")]
            return "empty-on-peer", ("the peer answers with an error: " + errs[0]) if errs else \
                "no query has data against the peer exporters either"
        note = "Debian's exporters give no data for it (judged by Vigil's queries)"
    lacking = [q for q in required if q["vigil_series"] == 0]
    if lacking:
        return "missing", "; ".join(sorted({r for q in lacking for r in q.get("reasons", [])}))
    extra = sorted({l for q in required if "labels" in q for l in set(q["labels"]["vigil"]) - set(q["labels"]["peer"])})
    fewer = sorted({l for q in required if "labels" in q for l in set(q["labels"]["peer"]) - set(q["labels"]["vigil"])})
    if extra == ["server"]:
        note = "; ".join(x for x in [note, "one series per server Vigil watches (label server): Vigil's instance "
                                           "covers them all"] if x)
    elif extra:
        note = "; ".join(x for x in [note, "Vigil's series also carry " + ", ".join(extra)] if x)
    if fewer:
        note = "; ".join(x for x in [note, "Vigil's series lack " + ", ".join(fewer)] if x)
    if any(m.startswith("process_") for q in required for m in q["metrics"]):
        note = "; ".join(x for x in [note, "shows Vigil's own process (the exporter's on the peer)"] if x)
    names = sorted({n for q in required for n in q.get("compat_names", [])})
    if names:
        return "compat", "; ".join(x for x in ["needs " + ", ".join(names), note] if x)
    return "unchanged", note


# --- rendering -----------------------------------------------------------------------------------

LABEL = {"unchanged": "works unchanged", "compat": "works with the compat rules",
         "missing": "does not work", "empty-on-peer": "empty on the peer as well", "no-query": "no query"}
COUNTED = {"unchanged": "unchanged", "compat": "with the compat rules", "missing": "not working",
           "empty-on-peer": "empty on the peer as well", "no-query": "without a query"}


def render_summary(facts):
    """One line per dashboard: the counts, and the panels that do not work unchanged."""
    lines = []
    for d in facts["dashboards"]:
        counts = {}
        for p in d["panels"]:
            counts[p["verdict"]] = counts.get(p["verdict"], 0) + 1
        summary = ", ".join(f"{counts[k]} {COUNTED[k]}" for k in COUNTED if k in counts)
        others = [f"{p['title']} ({LABEL[p['verdict']]}: {p['why']})" for p in d["panels"] if p["verdict"] != "unchanged"]
        rest = (" Not unchanged: " + "; ".join(others) + ".") if others else ""
        lines.append(f"- **{d['id']}** {d['title']}: {len(d['panels'])} panels; {summary}.{rest}")
    return "\n".join(lines) + "\n"


def render(facts):
    lines = []
    for d in facts["dashboards"]:
        counts = {}
        for p in d["panels"]:
            counts[p["verdict"]] = counts.get(p["verdict"], 0) + 1
        summary = ", ".join(f"{counts[k]} {COUNTED[k]}" for k in COUNTED if k in counts)
        source = f" Checked copy: {d['source']}." if d.get("source") else ""
        lines.append(f"**{d['id']} — {d['title']}**: {len(d['panels'])} panels; {summary}.{source}")
        lines.append("")
        lines.append("| panel | verdict | metrics | why |")
        lines.append("|---|---|---|---|")
        for p in d["panels"]:
            metrics = ", ".join(f"`{m}`" for m in p["metrics"])
            why = p["why"].replace("|", "\\|")
            lines.append(f"| {p['title']} | {LABEL[p['verdict']]} | {metrics} | {why} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def update(path, text):
    body = open(path, encoding="utf-8").read()
    if BEGIN not in body or END not in body:
        fail(f"{path}: no {BEGIN} … {END} markers")
    head, rest = body.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{text}{END}{tail}"
    if new != body:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
        return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check")
    c.add_argument("--vigil", required=True, help="Prometheus scraping Vigil, compat rules loaded")
    c.add_argument("--peer", required=True, help="Prometheus scraping postgres_exporter and redis_exporter")
    c.add_argument("--compat", required=True, help="the compat recording rules file")
    c.add_argument("--compat-name", default="dashboards/compat/exporter-legacy-names.yml")
    c.add_argument("--settle", type=float, default=5, help="seconds to re-ask a query without data on Vigil")
    c.add_argument("--out", required=True)
    c.add_argument("--title", action="append", default=[], metavar="ID=TITLE", help="the title to report for ID")
    c.add_argument("--source", action="append", default=[], metavar="ID=TEXT", help="where the JSON of ID came from")
    c.add_argument("dashboards", nargs="+", metavar="ID=FILE")
    r = sub.add_parser("render")
    r.add_argument("facts")
    r.add_argument("--update", nargs="*", default=[], metavar="FILE")
    r.add_argument("--check", action="store_true", help="exit 1 when a --update file would change")
    r.add_argument("--summary", action="store_true", help="one line per dashboard instead of the tables")
    args = ap.parse_args()
    if args.command == "check":
        check(args)
        return
    try:
        facts = json.load(open(args.facts, encoding="utf-8"))
    except (OSError, ValueError) as e:
        fail(f"{args.facts}: {e}")
    text = render_summary(facts) if args.summary else render(facts)
    if not args.update:
        sys.stdout.write(text)
        return
    stale = []
    for path in args.update:
        if args.check:
            body = open(path, encoding="utf-8").read()
            if f"{BEGIN}\n{text}{END}" not in body:
                stale.append(path)
        elif update(path, text):
            print(f"updated {path}")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
