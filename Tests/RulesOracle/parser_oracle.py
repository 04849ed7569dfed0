#!/usr/bin/env python3
"""Asks promtool whether each expression parses and where the first error is.
Usage: parser_oracle.py SEED N OUT.json -> [[expr, column-or-0, promtool message], ...]
(column is promtool's 1-based column of the error, 0 when promtool accepts)."""
import json, re, subprocess, sys, yaml, tempfile, os
seed, n, out = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(__file__))
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(here, 'parser_soup.py'), seed, n], cwd=tmp, check=True)
    exprs = json.load(open(os.path.join(tmp, 'exprs.json')))
    doc = {'groups': [{'name': f'g{i}', 'rules': [{'record': 'r', 'expr': e}]} for i, e in enumerate(exprs)]}
    path = os.path.join(tmp, 'rules.yml')
    open(path, 'w').write(yaml.safe_dump(doc, width=10000))
    r = subprocess.run(['promtool', 'check', 'rules', path], capture_output=True, text=True)
text = r.stdout + r.stderr
verdict = {}
for m in re.finditer(r'group "g(\d+)", rule 1, "r": (?:could not parse expression: (\d+):(\d+): parse error: (.*)|(.*))', text):
    verdict[int(m.group(1))] = (int(m.group(3)) if m.group(3) else -1, m.group(4) or m.group(5))
rows = [[e, verdict.get(i, (0, ''))[0], verdict.get(i, (0, ''))[1]] for i, e in enumerate(exprs)]
json.dump(rows, open(out, 'w'), indent=0)
print(len(rows), 'expressions,', sum(1 for r in rows if r[1] != 0), 'rejected by promtool')
