"""A real HTTP/1.1 server on 127.0.0.1 for client tests, optionally TLS with client-certificate
verification. Prints its port on the first line of stdout (also written to --port-file).

Paths: /ok, /echo (JSON of method, path, headers, body), /big?n=N (N bytes), /slow?s=S,
/gzip (gzip-encoded body), /redirect (302 to /ok), /status?code=N.
"""
import argparse
import gzip
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path == "/ok":
            self.reply(200, b"ok", [("X-Test", "one"), ("X-Test", "two"), ("Content-Type", "text/plain")])
        elif url.path == "/echo":
            cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
            out = {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "client_cert": bool(cert),
            }
            self.reply(200, json.dumps(out).encode(), [("Content-Type", "application/json")])
        elif url.path == "/big":
            self.reply(200, b"x" * int(q.get("n", ["0"])[0]))
        elif url.path == "/slow":
            time.sleep(float(q.get("s", ["1"])[0]))
            self.reply(200, b"slow")
        elif url.path == "/gzip":
            self.reply(200, gzip.compress(b"compressed body " * 100), [("Content-Encoding", "gzip")])
        elif url.path == "/redirect":
            self.reply(302, b"", [("Location", "/ok")])
        elif url.path == "/status":
            self.reply(int(q.get("code", ["200"])[0]), b"status")
        else:
            self.reply(404, b"not found")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--client-ca")
    p.add_argument("--port-file")
    a = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        if a.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(a.client_ca)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.rename(a.port_file + ".tmp", a.port_file)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
