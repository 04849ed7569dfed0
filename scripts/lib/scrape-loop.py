#!/usr/bin/env python3
"""Scrapes one /metrics URL COUNT times on a keep-alive connection, as Prometheus asks for it.

    scrape-loop.py URL COUNT MAX_SECONDS

Bounded by both: stops after COUNT scrapes or MAX_SECONDS, whichever comes first. Sends
Prometheus' Accept (OpenMetrics preferred, text 0.0.4 accepted) and Accept-Encoding: gzip, and
reads every body to its end. Prints `scrapes N errors E seconds S bytes B` on stdout.
"""
import http.client
import sys
import time
import urllib.parse

ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,"
          "text/plain;version=0.0.4;q=0.4,*/*;q=0.1")


def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    count, max_seconds = int(sys.argv[2]), float(sys.argv[3])
    path = url.path + ("?" + url.query if url.query else "")
    start = time.monotonic()
    done = errors = total = 0
    conn = None
    while done < count and time.monotonic() - start < max_seconds:
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            conn.request("GET", path, headers={"Accept": ACCEPT, "Accept-Encoding": "gzip",
                                               "User-Agent": "vigil-bench-footprint"})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                errors += 1
            total += len(body)
        except (OSError, http.client.HTTPException):
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
        done += 1
    print(f"scrapes {done} errors {errors} seconds {time.monotonic() - start:.1f} bytes {total}")


if __name__ == "__main__":
    main()
