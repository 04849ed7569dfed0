#!/usr/bin/env python3
"""/metrics latency for a fresh client, quiet and under attack, for scripts/bench-attacks.

    http-attacks.py PORT SCENARIO [--samples N] [--query Q]

SCENARIO is one of:
  quiet      nothing else going on
  slowloris  300 connections sending a request header one byte a second (reconnecting when cut off)
  burst      1,000 idle connections opened at once, held open
  queries    4 heavy /api/v1/query requests in flight (QUERY, a POST each)
  readapi    8 clients asking /api/v1/alerts and /api/v1/rules back to back, a fresh connection
             each (run it against a Vigil whose rules hold many alerts and a slow group)

Each sample is a new connection to 127.0.0.1:PORT, `GET /metrics`, read to the end; a sample
that gets no complete 200 within 2 s counts as a failure (its latency is recorded as 2 s).
Sampling stops after --max-seconds (40 s) even if fewer samples were taken.
Prints one JSON line: {"scenario", "samples", "failures", "p50_ms", "p99_ms", "max_ms", ...}.
Loopback only; bounded: at most 60 s of attack per run.
"""
import argparse
import errno
import json
import select
import socket
import threading
import time
import urllib.parse

HOST = "127.0.0.1"
SAMPLE_TIMEOUT = 2.0
REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n"


def fresh_get(port):
    """Seconds for one fresh-connection GET /metrics, or None on failure / timeout."""
    start = time.monotonic()
    try:
        s = socket.create_connection((HOST, port), timeout=SAMPLE_TIMEOUT)
    except OSError:
        return None
    try:
        s.settimeout(max(0.01, SAMPLE_TIMEOUT - (time.monotonic() - start)))
        s.sendall(REQUEST)
        data = bytearray()
        while True:
            left = SAMPLE_TIMEOUT - (time.monotonic() - start)
            if left <= 0:
                return None
            s.settimeout(left)
            chunk = s.recv(262144)
            if not chunk:
                break
            data += chunk
        if not data.startswith(b"HTTP/1.1 200"):
            return None
        return time.monotonic() - start
    except OSError:
        return None
    finally:
        s.close()


class Slowloris:
    def __init__(self, port, connections=300):
        self.port, self.connections = port, connections
        self.stop_flag = threading.Event()
        self.opened = 0
        self.cut = 0
        self.header = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: 0123456789\r\n" * 200
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self):
        try:
            c = socket.create_connection((HOST, self.port), timeout=2)
            c.setblocking(False)
            self.opened += 1
            return [c, 0]
        except OSError:
            return None

    def run(self):
        clients = [self.connect() for _ in range(self.connections)]
        end = time.monotonic() + 60
        while not self.stop_flag.is_set() and time.monotonic() < end:
            for i, entry in enumerate(clients):
                alive = entry is not None
                if alive:
                    c, pos = entry
                    try:
                        if c.recv(1, socket.MSG_PEEK) == b"":
                            alive = False
                    except BlockingIOError:
                        pass
                    except OSError:
                        alive = False
                    if alive:
                        try:
                            c.send(self.header[pos % len(self.header):pos % len(self.header) + 1])
                            entry[1] += 1
                        except OSError:
                            alive = False
                    if not alive:
                        self.cut += 1
                        c.close()
                if not alive:
                    clients[i] = self.connect()
            self.stop_flag.wait(1.0)
        for entry in clients:
            if entry is not None:
                entry[0].close()

    def start(self):
        self.thread.start()
        time.sleep(3)  # all connected, a few bytes each

    def stop(self):
        self.stop_flag.set()
        self.thread.join(5)
        return {"attack_connections_opened": self.opened, "attack_connections_cut": self.cut}


class Burst:
    def __init__(self, port, connections=1000):
        self.port, self.connections, self.socks, self.failed = port, connections, [], 0

    def start(self):
        # Non-blocking connects: all 1,000 at once, none waiting for the previous one (a blocked
        # connect would pace the burst by the server's backlog). Then up to 3 s for handshakes.
        t0 = time.monotonic()
        for _ in range(self.connections):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            if s.connect_ex((HOST, self.port)) not in (0, errno.EINPROGRESS):
                self.failed += 1
            self.socks.append(s)
        poller = select.poll()
        pending = {s.fileno() for s in self.socks}
        for fd in pending:
            poller.register(fd, select.POLLOUT)
        while pending and time.monotonic() - t0 < 3:
            for fd, _ in poller.poll(100):
                poller.unregister(fd)
                pending.discard(fd)
        self.pending_after_settle = len(pending)
        self.open_seconds = time.monotonic() - t0

    def stop(self):
        alive = 0
        for s in self.socks:
            try:
                s.setblocking(False)
                if s.recv(1, socket.MSG_PEEK) != b"":
                    alive += 1
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
            s.close()
        return {"attack_connections_opened": len(self.socks), "attack_connect_failures": self.failed,
                "attack_pending_after_3s": self.pending_after_settle,
                "attack_still_open_at_end": alive, "attack_open_seconds": round(self.open_seconds, 3)}


class Queries:
    def __init__(self, port, query, count=4):
        self.port, self.query, self.count = port, query, count
        self.results = []
        self.threads = [threading.Thread(target=self.one, daemon=True) for _ in range(count)]

    def one(self):
        body = urllib.parse.urlencode({"query": self.query, "timeout": "20s"}).encode()
        head = ("POST /api/v1/query HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
        start = time.monotonic()
        status = "none"
        try:
            s = socket.create_connection((HOST, self.port), timeout=90)
            s.sendall(head + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            status = data.split(b" ", 2)[1].decode() if data else "closed"
        except OSError as e:
            status = type(e).__name__
        self.results.append((status, round(time.monotonic() - start, 2)))

    def start(self):
        for t in self.threads:
            t.start()
        time.sleep(0.5)

    def stop(self):
        done = len(self.results)
        return {"queries_started": self.count, "queries_done_during_samples": done}


class ReadAPI:
    """`clients` threads, each GET /api/v1/alerts then /api/v1/rules in a loop until stopped
    (10 s per request at most); counts answers by status."""

    PATHS = ("/api/v1/alerts", "/api/v1/rules")

    def __init__(self, port, clients=8):
        self.port = port
        self.running = True
        self.lock = threading.Lock()
        self.statuses = {}
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(clients)]

    def one(self, path):
        try:
            s = socket.create_connection((HOST, self.port), timeout=10)
            s.sendall(("GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n" % path).encode())
            data = b""
            while True:
                chunk = s.recv(262144)
                if not chunk:
                    break
                data += chunk
            s.close()
            return data.split(b" ", 2)[1].decode() if data else "closed"
        except OSError as e:
            return type(e).__name__

    def loop(self):
        i = 0
        while self.running:
            status = self.one(self.PATHS[i % 2])
            i += 1
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1

    def start(self):
        for t in self.threads:
            t.start()
        time.sleep(0.5)

    def stop(self):
        self.running = False
        with self.lock:
            return {"api_answers": dict(sorted(self.statuses.items()))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("scenario", choices=["quiet", "slowloris", "burst", "queries", "readapi"])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=40, help="stop sampling after this long")
    ap.add_argument("--query", default="max_over_time(max_over_time(vigil_build_info[10s:1ms])[10s:1ms])")
    args = ap.parse_args()

    attack = {"quiet": None,
              "slowloris": lambda: Slowloris(args.port),
              "burst": lambda: Burst(args.port),
              "queries": lambda: Queries(args.port, args.query),
              "readapi": lambda: ReadAPI(args.port)}[args.scenario]
    attack = attack() if attack else None
    if attack:
        attack.start()
    latencies, failures = [], 0
    window_end = time.monotonic() + args.max_seconds
    for _ in range(args.samples):
        if time.monotonic() > window_end:
            break  # bounded: a server that fails every sample would take samples × 2 s
        d = fresh_get(args.port)
        if d is None:
            failures += 1
            d = SAMPLE_TIMEOUT
        latencies.append(d)
        time.sleep(0.02)
    extra = attack.stop() if attack else {}
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2)

    out = {"scenario": args.scenario, "samples": len(latencies), "failures": failures,
           "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": round(latencies[-1] * 1000, 2)}
    out.update(extra)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
