"""An application instrumented with the official prometheus_client, plus hostile endpoints,
for the scrape tests. Serves on 127.0.0.1 (port 0: any free one; written to --port-file).

  /metrics          the app's registry, negotiated by prometheus_client itself (OpenMetrics
                    when asked for, text 0.0.4 otherwise), gzip when accepted
  /last-request     JSON of the headers of the last /metrics request
  /hang             answers nothing for 60 s
  /garbage          an HTML page
  /huge             a text body streamed without end (bounded at 2 GiB and 120 s)
  /duplicate        the same series twice
  /invalid-utf8     a label value that is not UTF-8
  /no-eof           OpenMetrics without the final # EOF
  /status500        HTTP 500

--series N adds N series (a gauge with N label values) for the benchmark.
"""
import argparse
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, Summary
from prometheus_client.exposition import choose_encoder

registry = CollectorRegistry()
requests_total = Counter("app_requests_total", "Requests served.", ["method", "code"], registry=registry)
in_flight = Gauge("app_in_flight_requests", "Requests in flight.", registry=registry)
active_users = Gauge("active_users", "Users with a session.", registry=registry)
queue_size = Gauge("background_job_queue_size", "Jobs waiting.", ["queue"], registry=registry)
duration = Histogram("api_request_duration_seconds", "Request latency.", ["route"], registry=registry,
                     buckets=(0.005, 0.05, 0.5, 1, 5))
payload = Summary("app_payload_bytes", "Payload sizes.", registry=registry)
build = Info("app_build", "Build information.", registry=registry)

requests_total.labels("GET", "200").inc(41)
requests_total.labels("POST", "500").inc(2)
in_flight.set(3)
active_users.set(17)
queue_size.labels("email").set(5)
queue_size.labels("reports").set(0)
for v in (0.003, 0.02, 0.3, 0.7, 2.0):
    duration.labels("/api/items").observe(v)
duration.labels("/api/users").observe(0.01)
payload.observe(512)
payload.observe(2048)
build.info({"version": "1.2.3", "commit": "abc"})

last_headers = {}
extra = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/plain; version=0.0.4; charset=utf-8", encoding=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/metrics":
            global last_headers
            last_headers = {k.lower(): v for k, v in self.headers.items()}
            requests_total.labels("GET", "200").inc()
            encoder, content_type = choose_encoder(self.headers.get("Accept"))
            body = encoder(registry)
            if extra is not None:
                body = extra_body(body, content_type)
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                self.reply(200, gzip.compress(body), content_type, "gzip")
            else:
                self.reply(200, body, content_type)
        elif path == "/last-request":
            self.reply(200, json.dumps(last_headers).encode(), "application/json")
        elif path == "/hang":
            time.sleep(60)
        elif path == "/garbage":
            self.reply(200, b"<html><body>Welcome to nginx!</body></html>\n", "text/html")
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            line = b"huge_metric{pad=\"" + b"x" * 1000 + b"\"} 1\n"
            chunk = line * 64
            sent, start = 0, time.time()
            try:
                while sent < (2 << 30) and time.time() - start < 120:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True
        elif path == "/duplicate":
            self.reply(200, b"# TYPE dup gauge\ndup{a=\"1\"} 1\ndup{a=\"1\"} 2\n")
        elif path == "/invalid-utf8":
            self.reply(200, b"# TYPE bad gauge\nbad{a=\"\xff\xfe\"} 1\n")
        elif path == "/no-eof":
            self.reply(200, b"# TYPE x gauge\nx 1\n", "application/openmetrics-text; version=1.0.0; charset=utf-8")
        elif path == "/status500":
            self.reply(500, b"internal error\n")
        else:
            self.reply(404, b"not found\n")


def extra_body(body, content_type):
    text = body.decode()
    lines = ["# HELP bench_series A series per label value.", "# TYPE bench_series gauge"]
    lines += ['bench_series{id="%d",shard="%d"} %d' % (i, i % 16, i) for i in range(extra)]
    added = "\n".join(lines) + "\n"
    if text.endswith("# EOF\n"):
        return (text[: -len("# EOF\n")] + added + "# EOF\n").encode()
    return (text + added).encode()


def main():
    global extra
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--series", type=int)
    args = parser.parse_args()
    extra = args.series
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
