#!/usr/bin/env python3
"""A remote-write 1.0 receiver for the tests (standard library only).

    python3 scripts/lib/remote-write-sink.py PORT_FILE [PORT]

Listens on 127.0.0.1:PORT (0 or absent: a free port, written to PORT_FILE once listening).
Every POST to a path is decoded on its own, without a protobuf or snappy library: the
snappy block format and the four messages of prompb (WriteRequest, TimeSeries, Label,
Sample) are decoded by hand here, independently of Vigil's Swift encoder.

A path answers the statuses in its script first, then 200. Control endpoints (GET):

    /-/script?path=/x&statuses=500,500,200   the next answers of /x (replaces its script)
    /-/state?path=/x&name=pg_up              JSON: requests (status counts), samples
                                             (filtered by metric name if given), headers of
                                             the last request, decode errors
    /-/healthy                               200

Samples are only recorded for requests answered 2xx. At most MAX_SAMPLES are kept per path
(then the request is answered 500 and counted as "over"). Stops on SIGTERM and SIGINT.
"""

import json
import signal
import struct
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 32 * 1024 * 1024
MAX_DECODED = 256 * 1024 * 1024
MAX_SAMPLES = 5_000_000


class DecodeError(Exception):
    pass


def read_varint(buf: bytes, i: int) -> "tuple[int, int]":
    shift = 0
    value = 0
    for _ in range(10):
        if i >= len(buf):
            raise DecodeError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7
    raise DecodeError("varint longer than 10 bytes")


def snappy_decode(data: bytes) -> bytes:
    """The snappy block format: a varint length, then literals and copies."""
    length, i = read_varint(data, 0)
    if length > MAX_DECODED:
        raise DecodeError("decoded length over the limit")
    out = bytearray()
    while i < len(data):
        tag = data[i]
        i += 1
        kind = tag & 3
        if kind == 0:  # literal
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                if i + extra > len(data):
                    raise DecodeError("truncated literal length")
                n = int.from_bytes(data[i:i + extra], "little")
                i += extra
            n += 1
            if i + n > len(data):
                raise DecodeError("truncated literal")
            out += data[i:i + n]
            i += n
            continue
        if kind == 1:
            if i >= len(data):
                raise DecodeError("truncated copy")
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[i]
            i += 1
        elif kind == 2:
            if i + 2 > len(data):
                raise DecodeError("truncated copy")
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[i:i + 2], "little")
            i += 2
        else:
            if i + 4 > len(data):
                raise DecodeError("truncated copy")
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[i:i + 4], "little")
            i += 4
        if offset == 0 or offset > len(out):
            raise DecodeError("copy offset out of range")
        start = len(out) - offset
        for k in range(n):  # byte by byte: a copy may overlap what it produces
            out.append(out[start + k])
        if len(out) > length:
            raise DecodeError("output longer than announced")
    if len(out) != length:
        raise DecodeError(f"decoded {len(out)} bytes, header said {length}")
    return bytes(out)


def fields(buf: bytes):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(buf, i)
        elif wire == 1:
            if i + 8 > len(buf):
                raise DecodeError("truncated fixed64")
            value = buf[i:i + 8]
            i += 8
        elif wire == 2:
            n, i = read_varint(buf, i)
            if i + n > len(buf):
                raise DecodeError("truncated length-delimited field")
            value = buf[i:i + n]
            i += n
        elif wire == 5:
            value = buf[i:i + 4]
            i += 4
        else:
            raise DecodeError(f"unsupported wire type {wire}")
        yield number, wire, value


def decode_write_request(body: bytes) -> "list[tuple[dict, float, int]]":
    samples = []
    for number, wire, ts_bytes in fields(body):
        if number != 1 or wire != 2:
            continue
        labels = {}
        names = []
        points = []
        for n2, w2, v2 in fields(ts_bytes):
            if n2 == 1 and w2 == 2:
                name = value = ""
                for n3, w3, v3 in fields(v2):
                    if n3 == 1 and w3 == 2:
                        name = v3.decode("utf-8")
                    elif n3 == 2 and w3 == 2:
                        value = v3.decode("utf-8")
                names.append(name)
                labels[name] = value
            elif n2 == 2 and w2 == 2:
                val = 0.0
                ts = 0
                for n3, w3, v3 in fields(v2):
                    if n3 == 1 and w3 == 1:
                        val = struct.unpack("<d", v3)[0]
                    elif n3 == 2 and w3 == 0:
                        ts = v3 - (1 << 64) if v3 >= (1 << 63) else v3
                points.append((val, ts))
        if names != sorted(names, key=lambda s: s.encode()):
            raise DecodeError(f"labels not sorted: {names}")
        if len(set(names)) != len(names):
            raise DecodeError(f"duplicate label names: {names}")
        for val, ts in points:
            samples.append((labels, val, ts))
    return samples


class Store:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paths: "dict[str, dict]" = {}

    def path(self, p: str) -> dict:
        if p not in self.paths:
            self.paths[p] = {"script": [], "requests": {}, "samples": [], "headers": {}, "errors": [], "over": 0}
        return self.paths[p]


STORE = Store()


def json_value(v: float):
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    return v


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def reply(self, status: int, body: bytes = b"", ctype: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/-/healthy":
            return self.reply(200, b"ok")
        if url.path == "/-/script":
            with STORE.lock:
                STORE.path(q.get("path", "/"))["script"] = [int(s) for s in q.get("statuses", "").split(",") if s]
            return self.reply(200, b"ok")
        if url.path == "/-/state":
            name = q.get("name")
            with STORE.lock:
                p = STORE.path(q.get("path", "/"))
                samples = [[labels, json_value(v), ts] for labels, v, ts in p["samples"]
                           if name is None or labels.get("__name__") == name]
                state = {"requests": p["requests"], "headers": p["headers"], "errors": p["errors"][-5:],
                         "over": p["over"], "total": len(p["samples"]), "samples": samples}
            return self.reply(200, json.dumps(state).encode(), "application/json")
        self.reply(404, b"not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            return self.reply(413, b"too large")
        body = self.rfile.read(length)
        path = urllib.parse.urlparse(self.path).path
        with STORE.lock:
            p = STORE.path(path)
            status = p["script"].pop(0) if p["script"] else 200
        samples = []
        if 200 <= status < 300:
            try:
                samples = decode_write_request(snappy_decode(body))
            except (DecodeError, UnicodeDecodeError, struct.error) as e:
                status = 400
                with STORE.lock:
                    STORE.path(path)["errors"].append(str(e))
        with STORE.lock:
            p = STORE.path(path)
            if status == 200 and len(p["samples"]) + len(samples) > MAX_SAMPLES:
                p["over"] += 1
                status = 500
            key = str(status)
            p["requests"][key] = p["requests"].get(key, 0) + 1
            p["headers"] = {k.lower(): v for k, v in self.headers.items()}
            if status == 200:
                p["samples"].extend(samples)
        self.reply(status, b"" if status < 300 else f"scripted {status}".encode())


def main() -> None:
    port_file = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
