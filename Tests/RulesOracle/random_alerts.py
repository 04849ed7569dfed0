#!/usr/bin/env python3
"""Random alert lifecycles answered by promtool: writes a rule file and a test file whose
exp_alerts are what promtool reports as firing at every minute.
Usage: random_alerts.py SEED OUT_DIR NAME"""
import random, sys, subprocess, re, os, yaml
seed, out_dir, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
random.seed(seed)
rules = []
for i in range(8):
    thr = random.choice([3, 5, 8])
    op = random.choice(['>', '<', '>='])
    rule = {'alert': f'A{i}', 'expr': random.choice([f'm {op} {thr}', f'max by (b) (m) {op} {thr}', f'rate(c[170s]) {op} {thr / 10}']),
            'labels': {'sev': random.choice(['page', 'ticket'])}}
    f = random.choice([0, 0, 1, 2, 3, 5])
    if f: rule['for'] = f'{f}m'
    k = random.choice([0, 0, 1, 2, 4])
    if k: rule['keep_firing_for'] = f'{k}m'
    if random.random() < 0.5:
        rule['annotations'] = {'v': '{{ $value }} {{ $labels.a }}'}
    rules.append(rule)
rule_file = f'{name}.rules.yml'
header = f'# Random alert rules (Tests/RulesOracle/random_alerts.py {seed}).\n'
open(os.path.join(out_dir, '..', 'rules', rule_file), 'w').write(header + yaml.safe_dump({'groups': [{'name': name, 'rules': rules}]}, sort_keys=False, width=1000))
series = []
for s in ['m{a="1",b="x"}', 'm{a="2",b="x"}', 'm{a="3",b="y"}']:
    vals = []
    for j in range(20):
        r = random.random()
        vals.append('_' if r < 0.08 else ('stale' if r < 0.12 else str(random.randint(0, 10))))
    series.append({'series': s, 'values': ' '.join(vals)})
for s in ['c{a="1",b="x"}', 'c{a="2",b="y"}']:
    series.append({'series': s, 'values': f'0+{random.randint(1,9)}x8 {random.randint(0,3)}+{random.randint(1,9)}x10'})
times = list(range(0, 20))
tests = [{'eval_time': f'{t}m', 'alertname': f'A{i}', 'exp_alerts': []} for i in range(8) for t in times]
doc = {'rule_files': [f'../rules/{rule_file}'], 'evaluation_interval': '1m',
       'tests': [{'interval': '1m', 'input_series': series, 'alert_rule_test': tests}]}
test_path = os.path.join(out_dir, f'{name}.yml')
yaml.safe_dump(doc, open(test_path, 'w'), sort_keys=False, width=1000)
r = subprocess.run(['promtool', 'test', 'rules', test_path], capture_output=True, text=True)
text = r.stdout + r.stderr
if 'rule:' in text and 'err:' in text:
    print(text[:2000]); sys.exit(1)
got = {}
for m in re.finditer(r'alertname: (\S+), time: (\S+), \n\s+exp:\[\], \n\s+got:\[\n(.*?)\n\s+\]', text, re.S):
    alerts = []
    for lm in re.finditer(r'Labels:\{(.*?)\}\n\s+Annotations:\{(.*?)\}', m.group(3)):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', lm.group(1)))
        ann = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', lm.group(2)))
        labels.pop('alertname', None)
        e = {'exp_labels': labels}
        if ann: e['exp_annotations'] = ann
        alerts.append(e)
    got[(m.group(1), m.group(2))] = alerts
def fmt(t):
    return '0s' if t == 0 else f'{t}m'
for t in tests:
    t['exp_alerts'] = got.get((t['alertname'], fmt(int(t['eval_time'][:-1]))), [])
header = f'# Random alert lifecycles (Tests/RulesOracle/random_alerts.py {seed}); expected alerts from promtool 2.42.\n'
open(test_path, 'w').write(header + yaml.safe_dump(doc, sort_keys=False, width=1000))
r = subprocess.run(['promtool', 'test', 'rules', test_path], capture_output=True, text=True)
print(r.stdout.strip().splitlines()[-1] if r.stdout else r.stderr, sum(len(v) for v in got.values()), 'firing alerts checked')
