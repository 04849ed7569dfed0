#!/usr/bin/env python3
"""Measures what clients cost a Redis server, for scripts/bench-redis.

  redis-cost.py PORT reset            start a window: SLOWLOG records every command
  redis-cost.py PORT report NAME...   per client name: commands, Redis time, longest command
  redis-cost.py PORT cpu              used_cpu_sys + used_cpu_user of the server, seconds

With slowlog-log-slower-than 0 every command is logged with its duration and the client's
name (CLIENT SETNAME), so the cost of each client is attributed exactly. Standard library
only; talks RESP over a plain socket on 127.0.0.1.
"""
import json
import socket
import sys


class Redis:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()


def info(r, section):
    text = r.call("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def main():
    port, action = int(sys.argv[1]), sys.argv[2]
    r = Redis(port)
    r.call("CLIENT", "SETNAME", "bench-meter")
    if action == "reset":
        r.call("CONFIG", "SET", "slowlog-max-len", "1000000")
        r.call("CONFIG", "SET", "slowlog-log-slower-than", "0")
        r.call("SLOWLOG", "RESET")
    elif action == "cpu":
        i = info(r, "cpu")
        print("%.6f" % (float(i["used_cpu_sys"]) + float(i["used_cpu_user"])))
    elif action == "report":
        names = sys.argv[3:]
        entries = r.call("SLOWLOG", "GET", "-1")
        r.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        stats = {n: {"commands": 0, "redis_usec": 0, "longest_usec": 0, "longest_command": ""} for n in names}
        for e in entries:
            # [id, unix time, duration usec, [args], client address, client name]
            name = e[5].decode() if len(e) > 5 and e[5] is not None else ""
            if name not in stats:
                continue
            s = stats[name]
            s["commands"] += 1
            s["redis_usec"] += e[2]
            if e[2] > s["longest_usec"]:
                s["longest_usec"] = e[2]
                s["longest_command"] = b" ".join(a[:40] for a in e[3][:4]).decode(errors="replace")
        print(json.dumps(stats))
    else:
        sys.exit("unknown action " + action)


if __name__ == "__main__":
    main()
