#!/usr/bin/env python3
"""Serves scripts/bench-rules' series to Prometheus on 127.0.0.1.

    bench-rules-serve.py PORT SERIES.prom

GET /metrics answers the exposition of SERIES.prom with every counter advanced to the time of
the request: a counter with value v0 in the file is v0 * (1 + s / 1e6) s seconds after this
server started (the law of scripts/lib/bench-rules-gen.py), written with that instant as its
explicit timestamp (ms), so Prometheus stores each counter sample at the time its value was
computed and its rates are exact however late a scrape is served on a busy machine (without
it, a scrape answered 0.5 s after Prometheus' scrape timestamp moves a 5 m rate by 0.2%, the
generator's margin). Gauges are constant and served as written, without timestamps.
Each request is logged to stderr with its duration. Loopback only.
"""

import http.server
import sys
import time

GROWTH = 1e6


def load(path):
    """Static chunks and counter lines: [(prefix, v0)] interleaved with static text."""
    parts = []  # str (static) or (prefix, v0)
    counters = set()
    static = []
    with open(path) as f:
        for line in f:
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split()
                if kind == "counter":
                    counters.add(name)
            if not line.startswith("#") and line.strip():
                name = line.split("{", 1)[0].split(" ", 1)[0]
                if name in counters:
                    prefix, value = line.rstrip("\n").rsplit(" ", 1)
                    if static:
                        parts.append("".join(static))
                        static = []
                    parts.append((prefix + " ", float(value)))
                    continue
            static.append(line)
    if static:
        parts.append("".join(static))
    return parts


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    port, path = int(sys.argv[1]), sys.argv[2]
    parts = load(path)
    start = time.time()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path.split("?", 1)[0] != "/metrics":
                self.send_error(404)
                return
            t0 = time.time()
            now_ms = int(t0 * 1000)
            factor = 1 + (now_ms / 1000 - start) / GROWTH
            stamp = " %d\n" % now_ms
            out = []
            for p in parts:
                if isinstance(p, str):
                    out.append(p)
                else:
                    out.append(p[0] + repr(p[1] * factor) + stamp)
            body = "".join(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            print("served %d bytes in %.3f s" % (len(body), time.time() - t0), file=sys.stderr, flush=True)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("serving %s on 127.0.0.1:%d" % (path, port), file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
