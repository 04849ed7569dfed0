#!/usr/bin/env python3
"""Flip a Redis client count: hold N extra idle connections open (standard library only).

    python3 scripts/lib/redis-clients.py PORT N STAMP_FILE MAX_SECONDS

Opens N TCP connections to 127.0.0.1:PORT, sends PING on each and waits for every +PONG (so
Redis has accepted and counted them all), then writes the time of that moment (Unix seconds)
to STAMP_FILE and keeps the connections open, idle, until SIGTERM/SIGINT or MAX_SECONDS.
Used by scripts/bench-alerting as the condition flip.
"""

import os
import signal
import socket
import sys
import time


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    port, count, stamp_path, max_seconds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    conns = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"PING\r\n")
        conns.append(s)
    for s in conns:
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                print("redis-clients: connection closed by Redis", file=sys.stderr)
                return 1
            reply += chunk
        if reply != b"+PONG\r\n":
            print(f"redis-clients: unexpected reply {reply!r}", file=sys.stderr)
            return 1
    flipped = time.time()
    tmp = stamp_path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{flipped:.6f}\n")
    os.replace(tmp, stamp_path)

    stop = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    deadline = time.monotonic() + max_seconds
    while not stop and time.monotonic() < deadline:
        time.sleep(0.2)
    for s in conns:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
