import random, sys
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
EXTENDED = len(sys.argv) > 3 and sys.argv[3] == 'extended'
metrics = ['m{a="1",b="x"}', 'm{a="2",b="x"}', 'm{a="3",b="y"}', 'n{a="1"}', 'n{a="2"}', 'c{a="1",b="x"}', 'c{a="2",b="y"}']
sel = ['m', 'n', 'c', 'm{b="x"}', 'm{a=~"1|3"}', 'm{b!="x"}', '{__name__=~"m|n"}', 'n{a!~"2"}']
rng_fns = ['rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'changes', 'resets', 'avg_over_time', 'min_over_time',
           'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'stddev_over_time', 'stdvar_over_time', 'present_over_time']
inst_fns = ['abs', 'ceil', 'floor', 'round', 'sgn', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'timestamp', 'sort', 'sort_desc']
aggs = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar']
ops = ['+', '-', '*', '/', '%', '^', '>', '<', '>=', '<=', '==', '!=', 'and', 'or', 'unless']
ranges = ['100s', '170s', '4m10s', '230s']
def vec(d):
    r = random.random()
    if d <= 0 or r < 0.25:
        return random.choice(sel)
    if r < 0.45:
        s = random.choice(['m', 'c', 'n'])
        return f'{random.choice(rng_fns)}({s}[{random.choice(ranges)}])'
    if r < 0.50:
        return f'{random.choice(inst_fns)}({vec(d-1)})'
    if r < 0.55 and EXTENDED:
        c = random.random()
        if c < 0.15:
            return f'clamp({vec(d-1)}, 1, 5)'
        if c < 0.25:
            return f'{random.choice(["clamp_min", "clamp_max"])}({vec(d-1)}, 2)'
        if c < 0.4:
            return f'label_replace({vec(d-1)}, "x", "$1-z", "a", "(.*)")'
        if c < 0.5:
            return f'label_join({vec(d-1)}, "j", ",", "a", "b")'
        if c < 0.6:
            return f'predict_linear({random.choice(["m", "c"])}[{random.choice(ranges)}], 60)'
        if c < 0.7:
            return f'quantile_over_time(0.7, {random.choice(["m", "n"])}[{random.choice(ranges)}])'
        if c < 0.8:
            fn = random.choice(["max_over_time", "avg_over_time", "rate", "min_over_time", "count_over_time", "deriv"])
            return f'{fn}(({vec(d-1)})[3m10s:45s])'
        if c < 0.9:
            return f'{random.choice(sel)} offset {random.choice(["1m", "30s", "2m30s"])}'
        return f'{random.choice(["m", "c"])}[{random.choice(ranges)}] offset 30s'.join(["sum_over_time(", ")"])
    if r < 0.72:
        g = random.choice(['', ' by (a)', ' by (b)', ' without (a)', ' without (b)'])
        a = random.choice(aggs + ['topk', 'bottomk', 'quantile'])
        if a in ('topk', 'bottomk'):
            return f'{a}{g} (2, {vec(d-1)})'
        if a == 'quantile':
            return f'{a}{g} (0.3, {vec(d-1)})'
        return f'{a}{g} ({vec(d-1)})'
    if r < 0.85:
        op = random.choice(ops)
        mod = ''
        if op in ('>', '<', '>=', '<=', '==', '!=') and random.random() < 0.4:
            mod = ' bool'
        if random.random() < 0.3:
            mod += random.choice([' on(a)', ' ignoring(b)', ' on(a, b)'])
        return f'({vec(d-1)} {op}{mod} {vec(d-1)})'
    op = random.choice(['+', '*', '-', '>', '/'])
    num = random.choice(['2', '0.5', '10', '3'])
    if random.random() < 0.5:
        return f'({vec(d-1)} {op} {num})'
    return f'({num} {op} {vec(d-1)})'
print('evaluation_interval: 1m')
print('tests:')
print('  - interval: 1m')
print('    input_series:')
vals = {}
for i, mm in enumerate(metrics):
    random_vals = ' '.join(str(random.choice([random.randint(0, 20), random.randint(0, 20), round(random.uniform(-5, 5), 2)])) for _ in range(12))
    if mm.startswith('c'):
        random_vals = f'{random.randint(0,5)}+{random.randint(1,9)}x5 {random.randint(0,3)}+{random.randint(1,9)}x6'
    print(f"      - series: '{mm}'")
    print(f"        values: '{random_vals}'")
print('    promql_expr_test:')
seen = set()
while len(seen) < int(sys.argv[2] if len(sys.argv) > 2 else 80):
    e = vec(3)
    if e in seen: continue
    seen.add(e)
    t = random.choice(['5m30s', '7m30s', '9m30s', '10m30s'])
    print("      - {expr: '%s', eval_time: %s}" % (e.replace("'", "''"), t))
