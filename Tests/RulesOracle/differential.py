#!/usr/bin/env python3
"""Seeded differential generator: promtool (Prometheus' own engine) answers N random, well-typed
PromQL expressions over random series; the answers go to a JSON file that
Tests/RulesTests/Eval/DifferentialTests.swift compares with Vigil's evaluator.

Usage: differential.py SEED N OUT.json

Series (1m apart, 0..30m): counters with resets (no gaps, so that the 2.x/3.x order of the
rate extrapolation limits never matters), gauges with negatives, gaps (`_`) and `stale` markers,
two classic histograms. Evaluation times lie in [8m, 28m] at seconds that keep every range,
offset and subquery edge off the 1m sample grid and the 45s subquery grid, so that the 2.x
(left-closed) and 3.x (left-open) selection windows select the same samples.
"""
import json, os, random, re, subprocess, sys, tempfile

SEED, N, OUT = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
R = random.Random(SEED)

# ---- series -------------------------------------------------------------------------------
STEPS = 31


def counter():
    # Two or three runs of increasing values; each new run starts below the last value (a reset).
    parts, left = [], STEPS
    while left > 0:
        n = min(left, R.randint(6, 14))
        parts.append(f'{R.randint(0, 40)}+{R.randint(1, 9)}x{n - 1}')
        left -= n
    return ' '.join(parts)


def gauge():
    vals, i = [], 0
    while i < STEPS:
        r = R.random()
        if r < 0.08 and 0 < i < STEPS - 4:
            k = R.randint(1, 3)  # a gap of at most 3 samples: the 5m look-back always bridges it
            vals.append('_' if k == 1 else f'_x{k}')
            i += k
            continue
        if r < 0.12 and 0 < i < STEPS - 4:
            vals.append('stale')
            i += 1
            continue
        vals.append(str(R.choice([R.randint(-5, 20), R.randint(0, 9), round(R.uniform(-5, 5), 2)])))
        i += 1
    return ' '.join(vals)


def histogram():
    # Cumulative buckets le=0.5 <= le=1 <= le=+Inf at every step, as counters.
    a = [R.randint(0, 3) for _ in range(3)]
    a.sort()
    inc = sorted(R.randint(0, 6) for _ in range(3))
    return [f'{a[0]}+{inc[0]}x{STEPS - 1}', f'{a[1]}+{inc[1]}x{STEPS - 1}', f'{a[2] + 1}+{inc[2] + 1}x{STEPS - 1}']


series = []
for labels in ['c_total{a="1",b="x"}', 'c_total{a="2",b="y"}', 'k_total{a="1",b="z"}']:
    series.append((labels, counter()))
for labels in ['g{a="1",b="x"}', 'g{a="2",b="x"}', 'g{a="3",b="y"}', 'u{a="1"}', 'u{a="2",b="é"}']:
    series.append((labels, gauge()))
for a in ['1', '2']:
    for le, vals in zip(['0.5', '1', '+Inf'], histogram()):
        series.append((f'h_bucket{{a="{a}",le="{le}"}}', vals))

# ---- expressions --------------------------------------------------------------------------
SELECTORS = ['g', 'u', 'c_total', 'k_total', 'g{b="x"}', 'g{a=~"1|3"}', 'g{b!="x"}', '{__name__=~"g|u"}',
             'u{a!~"2"}', 'g{b=~"\\\\pL"}', 'u{b=~"(?i)É|Y"}', '{__name__=~"c_total|k_total"}', 'nonexistent']
COUNTERS = ['c_total', 'k_total', 'c_total{a="1"}', '{__name__=~"c_total|k_total"}']
GAUGES = ['g', 'u', 'g{b="x"}']
# Never multiples of 15 s: inside 45 s subquery steps their left edges stay off the 1m grid.
ODD_RANGES = ['100s', '170s', '250s', '230s']
RANGES = ODD_RANGES + ['1m', '5m', '2m30s']
RANGE_FNS = ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'avg_over_time',
             'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
             'stddev_over_time', 'stdvar_over_time', 'present_over_time']
MATH_FNS = ['abs', 'ceil', 'floor', 'round', 'sgn', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'timestamp', 'sort',
            'sort_desc', 'hour', 'minute', 'day_of_week', 'year', 'month', 'day_of_month', 'days_in_month',
            'day_of_year', 'sin', 'cos', 'atan', 'deg']
AGGS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar']
ARITH = ['+', '-', '*', '/', '%', '^']
CMP = ['>', '<', '>=', '<=', '==', '!=']
SETS = ['and', 'or', 'unless']
GROUPINGS = ['', ' by (a)', ' by (b)', ' without (a)', ' without (b)', ' by (a, b)', ' without (le)']
SECONDS = [7, 13, 17, 23, 29, 37, 43, 47, 53]


EVAL_TIME = [0]


def at_time():
    # promtool 2.42 loads samples only up to the evaluation time: `@` never looks later.
    t = EVAL_TIME[0]
    return f'{R.randint(6, t // 60 - 1) * 60 + R.choice(SECONDS)}'


def matrix(inside_subquery, counters=False):
    sel = R.choice(COUNTERS if counters else (COUNTERS + GAUGES + ['h_bucket']))
    rng = R.choice(ODD_RANGES if inside_subquery else RANGES)
    mod = ''
    r = R.random()
    if r < 0.12:
        mod = f' offset {R.choice(["1m", "30s", "2m30s"])}'
    elif r < 0.2 and not inside_subquery:
        mod = f' @ {at_time()}'
    elif r < 0.24 and not inside_subquery:
        mod = R.choice([' @ end()', ' @ start()'])
    return f'{sel}[{rng}]{mod}'


def vec(d, sub=False, top=False):
    r = R.random()
    if d <= 0 or r < 0.2:
        s = R.choice(SELECTORS)
        if R.random() < 0.1:
            s += R.choice([' offset 1m', ' offset 30s', f' @ {at_time()}'])
        return s
    if r < 0.38:
        fn = R.choice(RANGE_FNS)
        return f'{fn}({matrix(sub, counters=fn in ("rate", "increase", "irate", "resets"))})'
    if r < 0.44:
        return f'{R.choice(MATH_FNS)}({vec(d - 1, sub)})'
    if r < 0.52:
        c = R.random()
        if c < 0.12:
            return f'clamp({vec(d - 1, sub)}, {R.choice(["-1", "1", "2"])}, {R.choice(["5", "10"])})'
        if c < 0.22:
            return f'{R.choice(["clamp_min", "clamp_max"])}({vec(d - 1, sub)}, {R.choice(["2", "-1"])})'
        if c < 0.34:
            return R.choice([f'label_replace({vec(d - 1, sub)}, "x", "$1-z", "a", "(.*)")',
                             f'label_replace({vec(d - 1, sub)}, "b", "${{2}}$1", "b", "(?U)(\\\\pL*)(.*)")',
                             f'label_replace({vec(d - 1, sub)}, "y", "$1", "a", "(\\\\d+)")'])
        if c < 0.4:
            return f'label_join({vec(d - 1, sub)}, "j", "-", "a", "b")'
        if c < 0.48:
            return f'predict_linear({R.choice(GAUGES + COUNTERS)}[{R.choice(ODD_RANGES)}], {R.choice(["60", "-30"])})'
        if c < 0.56:
            return f'quantile_over_time({R.choice(["0.7", "0.5", "0", "1"])}, {R.choice(GAUGES)}[{R.choice(ODD_RANGES)}])'
        if c < 0.66:
            q = R.choice(['0.5', '0.9', '0.99', '0', '1'])
            inner = R.choice([f'rate(h_bucket[{R.choice(ODD_RANGES)}])', 'h_bucket', 'sum by (le) (h_bucket)',
                              f'sum by (le, a) (increase(h_bucket[{R.choice(ODD_RANGES)}]))'])
            return f'histogram_quantile({q}, {inner})'
        if c < 0.78 and not sub:
            fn = R.choice(['max_over_time', 'avg_over_time', 'rate', 'min_over_time', 'count_over_time', 'deriv',
                           'sum_over_time', 'increase', 'delta'])
            return f'{fn}(({vec(d - 1, True)})[{R.choice(["3m10s", "4m5s", "2m20s"])}:45s])'
        if c < 0.84:
            return f'absent({vec(d - 1, sub)})'
        if c < 0.9:
            return 'vector(' + R.choice(['1', '-0.5', 'time()', 'scalar(g{a="1"})']) + ')'
        return f'count_values{R.choice(GROUPINGS)} ("{R.choice(["v", "a", "le"])}", {vec(d - 1, sub)})'
    if r < 0.68:
        g = R.choice(GROUPINGS)
        a = R.choice(AGGS + ['topk', 'bottomk', 'quantile'])
        if a in ('topk', 'bottomk') and not top:
            # Ties are broken arbitrarily: only at the top can the comparison tell a tie apart.
            a = R.choice(['max', 'min'])
        if a in ('topk', 'bottomk'):
            return f'{a}{g} ({R.choice(["1", "2", "0", "5"])}, {vec(d - 1, sub)})'
        if a == 'quantile':
            return f'{a}{g} ({R.choice(["0.3", "0.5", "1", "2"])}, {vec(d - 1, sub)})'
        return f'{a}{g} ({vec(d - 1, sub)})'
    if r < 0.85:
        op = R.choice(ARITH + CMP + SETS)
        mod = ''
        if op in CMP and R.random() < 0.4:
            mod = ' bool'
        x = R.random()
        if x < 0.3:
            mod += R.choice([' on (a)', ' ignoring (b)', ' on (a, b)', ' on ()'])
        elif x < 0.38 and op not in SETS:
            mod += R.choice([' on (a) group_left (b)', ' ignoring (b) group_left', ' on (a) group_right'])
        return f'({vec(d - 1, sub)} {op}{mod} {vec(d - 1, sub)})'
    op = R.choice(['+', '*', '-', '>', '/', '<', '%', '^'])
    num = R.choice(['2', '0.5', '10', '3', '-1', '0'])
    if R.random() < 0.5:
        return f'({vec(d - 1, sub)} {op} {num})'
    return f'({num} {op} {vec(d - 1, sub)})'


cases, seen = [], set()
while len(cases) < N:
    EVAL_TIME[0] = R.randint(8, 27) * 60 + R.choice(SECONDS)
    e = vec(R.choice([2, 3, 3, 4]), top=True)
    if e in seen:
        continue
    seen.add(e)
    cases.append((e, EVAL_TIME[0]))

# ---- promtool ------------------------------------------------------------------------------
def yq(s):
    return "'" + s.replace("'", "''") + "'"


lines = ['evaluation_interval: 1m', 'tests:', '  - interval: 1m', '    input_series:']
for labels, vals in series:
    lines += [f'      - series: {yq(labels)}', f'        values: {yq(vals)}']
lines.append('    promql_expr_test:')
for e, t in cases:
    lines += [f'      - expr: {yq(e)}', f'        eval_time: {t}s', '        exp_samples: [{labels: "sentinel_never_matches", value: 0}]']
with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
    f.write('\n'.join(lines) + '\n')
    test_file = f.name
try:
    r = subprocess.run(['promtool', 'test', 'rules', test_file], capture_output=True, text=True, timeout=600)
finally:
    os.remove(test_file)
text = r.stdout + r.stderr


def go_duration(seconds):
    m, s = divmod(seconds, 60)
    return f'{m}m{s}s' if m else f'{s}s'


def unquote_go(s):
    return json.loads(s) if '\\x' not in s else s


def parse_samples(got):
    """`{__name__="g", a="1"} 3E+00, {} NaN` as promtool 2.42 prints parsed samples."""
    out, i = [], 0
    got = got.strip()
    if got == 'nil':
        return out
    while i < len(got):
        assert got[i] == '{', got[i:i + 40]
        i += 1
        labels = {}
        while got[i] != '}':
            m = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"').match(got, i)
            assert m, got[i:i + 40]
            labels[m.group(1)] = unquote_go('"' + m.group(2) + '"')
            i = m.end()
            if got.startswith(', ', i):
                i += 2
        i += 2  # "} "
        m = re.compile(r'[^,\s]+').match(got, i)
        out.append({'labels': labels, 'value': m.group(0)})
        i = m.end()
        if got.startswith(', ', i):
            i += 2
    return out


answers = {}
for m in re.finditer(r'    expr: "((?:[^"\\]|\\.)*)", time: (\S+?),?(?: err: (.*)|\n\s+exp: .*\n\s+got: (.*))', text):
    expr = json.loads('"' + m.group(1) + '"')
    key = (expr, m.group(2))
    if m.group(3) is not None:
        answers[key] = {'error': m.group(3)}
    else:
        answers[key] = {'samples': parse_samples(m.group(4))}

out = {'seed': SEED, 'interval_ms': 60000, 'series': [{'labels': l, 'values': v} for l, v in series], 'cases': []}
missing = 0
for e, t in cases:
    a = answers.get((e, go_duration(t)))
    if a is None:
        missing += 1
        continue
    out['cases'].append(dict(expr=e, time_ms=t * 1000, **a))
if missing:
    print(f'promtool gave no answer for {missing} expressions', file=sys.stderr)
    print(text[:2000], file=sys.stderr)
    sys.exit(1)
json.dump(out, open(OUT, 'w'), indent=0, ensure_ascii=False)
print(f'seed {SEED}: {len(out["cases"])} expressions, {sum("error" in c for c in out["cases"])} promtool errors')
