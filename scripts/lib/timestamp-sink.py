#!/usr/bin/env python3
"""A webhook receiver that records when each request arrived (standard library only).

    python3 scripts/lib/timestamp-sink.py PORT OUT_JSONL

Listens on 127.0.0.1:PORT, answers 200 to every POST and appends one JSON line per
request to OUT_JSONL, written as soon as the body has been read:

    {"t": <arrival, Unix seconds>, "path": "/...", "status": "firing", "alerts": 3,
     "firing": 3, "starts": <earliest startsAt of the firing alerts, Unix seconds>,
     "n": ["7", "12", ...]}

`n` lists the `n` label of the firing alerts in an Alertmanager webhook v4 body (the storm's
rules carry it), so a reader can tell when every alert of a storm has arrived. Used by
scripts/bench-alerting. Stops on SIGTERM and SIGINT.
"""

import datetime
import json
import re
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 64 * 1024 * 1024
RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def unix_seconds(text: object) -> "float | None":
    """RFC 3339 with up to nanoseconds (Go's format) to Unix seconds; None when unreadable."""
    m = RFC3339.match(text) if isinstance(text, str) else None
    if not m:
        return None
    zone = "+00:00" if m[3] == "Z" else m[3]
    base = datetime.datetime.fromisoformat(m[1] + zone).timestamp()
    return base + (float(m[2]) if m[2] else 0.0)


class Sink(BaseHTTPRequestHandler):
    out_path = ""
    lock = threading.Lock()

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.reply(400)
            return
        body = self.rfile.read(length)
        arrived = time.time()
        record = {"t": arrived, "path": self.path, "bytes": len(body)}
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            record["status"] = doc.get("status")
            alerts = doc.get("alerts") if isinstance(doc.get("alerts"), list) else []
            firing = [a for a in alerts if isinstance(a, dict) and a.get("status") == "firing"]
            record["alerts"] = len(alerts)
            record["firing"] = len(firing)
            starts = [unix_seconds(a.get("startsAt")) for a in firing]
            starts = [x for x in starts if x is not None]
            record["starts"] = min(starts) if starts else None
            record["n"] = [
                str(a["labels"]["n"])
                for a in firing
                if isinstance(a.get("labels"), dict) and "n" in a["labels"]
            ]
        with self.lock:
            with open(self.out_path, "a") as out:
                out.write(json.dumps(record) + "\n")
        self.reply(200)

    def do_GET(self) -> None:
        self.reply(200)

    def reply(self, code: int) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    Sink.out_path = sys.argv[2]
    open(Sink.out_path, "a").close()
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
    server.daemon_threads = True

    def stop(_signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
