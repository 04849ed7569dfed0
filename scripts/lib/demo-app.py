"""The demo's instrumented application: a small HTTP API on 127.0.0.1 built on the official
prometheus_client, with its own traffic generator, stopping by itself after DURATION seconds.

    demo-app.py PORT DURATION

GET /api/items answers after a random latency and fails with 500 about one time in twenty;
GET /healthz answers 200 "ok"; GET /metrics is prometheus_client's exposition:
http_requests_total{method,route,status}, http_request_duration_seconds (histogram),
app_active_users and app_background_job_queue_size (gauges).
"""
import random
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Counter("http_requests_total", "HTTP requests answered.", ["method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0))
ACTIVE_USERS = Gauge("app_active_users", "Users with a session active in the last 5 minutes.")
QUEUE = Gauge("app_background_job_queue_size", "Jobs waiting in the application's in-process queue.")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/metrics":
            self.reply(200, generate_latest(), CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self.reply(200, b"ok\n")
        elif self.path.startswith("/api/items"):
            start = time.monotonic()
            time.sleep(random.expovariate(1 / 0.04))
            status = 500 if random.random() < 0.05 else 200
            self.reply(status, b'{"items": []}\n' if status == 200 else b'{"error": "boom"}\n', "application/json")
            LATENCY.labels("GET", "/api/items").observe(time.monotonic() - start)
            REQUESTS.labels("GET", "/api/items", str(status)).inc()
        else:
            self.reply(404, b"not found\n")


def traffic(port, until):
    while time.monotonic() < until:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/items", timeout=5).read()
        except Exception:
            pass
        ACTIVE_USERS.set(40 + random.randint(-5, 5))
        QUEUE.set(random.randint(0, 20))
        time.sleep(0.2)


def main():
    port, duration = int(sys.argv[1]), float(sys.argv[2])
    until = time.monotonic() + duration
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=traffic, args=(port, until), daemon=True).start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while time.monotonic() < until:
        time.sleep(1)
    server.shutdown()


if __name__ == "__main__":
    main()
