import random, yaml, sys, json
random.seed(int(sys.argv[1]))
pieces = ["x", "up", "foo:bar", "{", "}", "(", ")", "[", "]", "5m", "1h30m", ":", ",", "=", "!=", "=~", "!~",
    '"a"', "'b'", "job", "+", "-", "*", "/", "%", "^", "==", ">", "<=", "and", "or",
    "unless", "bool", "on", "ignoring", "group_left", "group_right", "by", "without", "sum", "topk",
    "count_values", "rate", "label_replace", "histogram_quantile", "offset", "@", "start()", "1", "0x1f",
    "1.5e3", "Inf", "NaN", " ", "abs", "vector", "time()", "scalar", "max_over_time", "0.5", "2"]
exprs = []
while len(exprs) < int(sys.argv[2]):
    s = "".join(random.choice(pieces) + random.choice(["", " "]) for _ in range(random.randint(1, 9)))
    if s.strip() and "\n" not in s:
        exprs.append(s.strip())
json.dump(exprs, open('exprs.json', 'w'))
