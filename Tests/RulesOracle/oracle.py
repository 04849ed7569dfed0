#!/usr/bin/env python3
"""Fill exp_samples of promql_expr_test entries from promtool's answers (the oracle).
Usage: oracle.py SPEC.yml OUT.yml  -- SPEC has promql_expr_test entries without exp_samples."""
import sys, subprocess, re, yaml, os, tempfile
spec, out = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(spec))
for g in doc['tests']:
    for t in g.get('promql_expr_test', []):
        t['exp_samples'] = [{'labels': 'sentinel_never_matches', 'value': 0}]
d = os.path.dirname(os.path.abspath(out))
tmp = os.path.join(d, '.oracle_tmp.yml')
yaml.safe_dump(doc, open(tmp, 'w'), sort_keys=False, width=1000)
r = subprocess.run(['promtool', 'test', 'rules', tmp], capture_output=True, text=True)
text = r.stdout + r.stderr
os.remove(tmp)
blocks = re.findall(r'expr: "((?:[^"\\]|\\.)*)", time: (\S+),\n\s+exp: .*\n\s+got: (.*)', text)
answers = {}
for expr, time, got in blocks:
    expr = bytes(expr, 'utf-8').decode('unicode_escape')
    samples = []
    if got.strip() and got.strip() != 'nil':
        for m in re.finditer(r'(\S*\{[^}]*\}) ([-+0-9.E]+|NaN|[+-]Inf)(?:, |$)', got.strip()):
            lbl, val = m.group(1), m.group(2)
            try:
                v = float(val)
                val = v if (v != v or abs(v) == float('inf') or v != int(v) or abs(v) > 1e15) else int(v)
            except ValueError:
                pass
            samples.append({'labels': lbl, 'value': val})
    answers[(expr, time.rstrip(','))] = samples
missing = []
for g in doc['tests']:
    for t in g.get('promql_expr_test', []):
        key = (t['expr'], str(t['eval_time']))
        if key not in answers:
            key = None
        if key is None:
            missing.append(t['expr']); continue
        t['exp_samples'] = answers[key]
        del answers[key]
if missing:
    print("NO ANSWER for:", missing, "\n", text[:3000]); sys.exit(1)
header = open(spec).read().split('tests:')[0]
body = yaml.safe_dump({'tests': doc['tests']}, sort_keys=False, width=1000, default_flow_style=False)
open(out, 'w').write(header + body)
print("wrote", out)
