"""The workload behind DashboardTests: everything the shipped Grafana dashboards show, made live
on the servers scripts/test starts, so that every panel has data.

  workload.py --pg-dsn DSN --database NAME --redis-url URL --redis-dbs SESSIONS,TEAMS,BULLMQ
              --backups DIR --port-file FILE [--seconds N]

  * an application on the official prometheus_client (the seed's names: http_requests_total
    {method,route,status}, http_request_duration_seconds, app_active_users,
    app_background_job_queue_size) with its own traffic, /healthz for the probe and POST /alerts
    as the webhook receiver of Vigil's notifications;
  * PostgreSQL: database NAME with a table written, updated and deleted from twice a second
    (transactions, tuples, dead tuples, statements, WAL, archiving), one session idle in
    transaction holding a lock and one session blocked behind it;
  * Redis: session:* keys (and the stream orders:stream with consumer group billing) and
    user:N:teams sets in the first two databases; BullMQ (the real
    `bullmq` package) in the third: queue "emails" with a producer and a worker that fails one
    job in four, and queue "reports", paused with jobs waiting;
  * backups: a valid older dump and a newer one that does not verify (BackupNotVerifiable and
    BackupShrank fire, so alerts and notifications exist).

Writes its port to --port-file once everything is in place. Stops when stdin closes (the test
ends or dies) or after --seconds, whichever comes first, and ends its psql sessions (which also die
with it if it is killed).
"""
import argparse
import asyncio
import ctypes
import gzip
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

registry = CollectorRegistry()
REQUESTS = Counter("http_requests_total", "HTTP requests answered.", ["method", "route", "status"], registry=registry)
LATENCY = Histogram("http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0), registry=registry)
ACTIVE_USERS = Gauge("app_active_users", "Users with a session.", registry=registry)
QUEUE = Gauge("app_background_job_queue_size", "Jobs waiting in the app's own queue.", registry=registry)
stopping = threading.Event()


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
            self.reply(200, generate_latest(registry), CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self.reply(200, b"ok\n")
        elif self.path.startswith("/api/items"):
            start = time.monotonic()
            time.sleep(random.uniform(0.001, 0.03))
            status = 500 if random.random() < 0.1 else 200
            self.reply(status, b"{}\n", "application/json")
            LATENCY.labels("GET", "/api/items").observe(time.monotonic() - start)
            REQUESTS.labels("GET", "/api/items", str(status)).inc()
        else:
            self.reply(404, b"not found\n")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 1 << 20))
        self.reply(200 if self.path == "/alerts" else 404, b"ok\n")


def traffic(port):
    while not stopping.is_set():
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/items", timeout=5).read()
        except Exception:
            pass
        ACTIVE_USERS.set(40 + random.randint(-5, 5))
        QUEUE.set(random.randint(0, 20))
        stopping.wait(0.1)


def psql(dsn, sql, check=True):
    return subprocess.run(["psql", dsn, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, check=check)


def with_database(dsn, name):
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


def die_with_parent():
    """For the psql sessions: SIGKILL when this script dies, however it dies (PR_SET_PDEATHSIG)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def postgres_setup(dsn, name):
    # Sessions a previous run left behind (killed before it could end them) would hold the lock.
    psql(dsn, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
              "AND pid <> pg_backend_pid()")
    exists = psql(dsn, f"SELECT 1 FROM pg_database WHERE datname = '{name}'").stdout.strip()
    if not exists:
        psql(dsn, f"CREATE DATABASE {name}")
    db = with_database(dsn, name)
    psql(db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; DROP TABLE IF EXISTS dash_items, dash_locked; "
             "CREATE TABLE dash_items (id serial PRIMARY KEY, body text, n int); "
             "CREATE TABLE dash_locked (id int); INSERT INTO dash_locked VALUES (1); "
             "INSERT INTO dash_items (body, n) SELECT md5(i::text), i FROM generate_series(1, 2000) i; ANALYZE")
    return db


def postgres_sessions(db):
    """One session idle in transaction holding a lock on dash_locked, one blocked behind it;
    both bounded by server-side timeouts should this script be killed without cleaning up."""
    holder = subprocess.Popen(["psql", db, "-qAt"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True, preexec_fn=die_with_parent)
    holder.stdin.write("SET idle_in_transaction_session_timeout = '10min';\n"
                       "BEGIN;\nLOCK TABLE dash_locked IN ACCESS EXCLUSIVE MODE;\n")
    holder.stdin.flush()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if psql(db, "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    "AND query LIKE 'LOCK TABLE dash_locked%'").stdout.strip() == "1":
            break
        time.sleep(0.1)
    blocked = subprocess.Popen(["psql", db, "-qAt", "-c", "SET lock_timeout = '10min'", "-c",
                                "SELECT count(*) FROM dash_locked"],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=die_with_parent)
    return [holder, blocked]


def postgres_load(db, dsn):
    round_ = 0
    while not stopping.is_set():
        round_ += 1
        try:
            psql(db, "BEGIN; "
                     "INSERT INTO dash_items (body, n) SELECT md5(random()::text), g FROM generate_series(1, 50) g; "
                     "UPDATE dash_items SET n = n + 1 WHERE id % 7 = 0; "
                     "DELETE FROM dash_items WHERE id IN (SELECT id FROM dash_items ORDER BY id LIMIT 40); "
                     "COMMIT; "
                     "SELECT count(*), sum(n) FROM dash_items WHERE body LIKE 'a%'", check=False)
            psql(db, "SELECT pg_sleep(0.05), count(*) FROM dash_items", check=False)
            if round_ % 20 == 1:
                psql(dsn, "SELECT pg_switch_wal()", check=False)
        except Exception:
            pass
        stopping.wait(0.5)


async def bullmq_work(url, ready):
    from bullmq import Queue, Worker
    import redis.asyncio as aioredis

    emails = Queue("emails", {"connection": url})
    reports = Queue("reports", {"connection": url})
    await emails.obliterate({"force": True})
    await reports.obliterate({"force": True})
    for i in range(5):
        await reports.add("monthly", {"i": i})
    await reports.pause()
    for i in range(10):
        await emails.add("send", {"i": i}, {"removeOnComplete": False, "removeOnFail": False})

    async def process(job, token):
        await asyncio.sleep(0.7)
        if job.data.get("i", 0) % 4 == 3:
            raise Exception("planned failure")
        return "sent"

    worker = Worker("emails", process, {"connection": url, "concurrency": 1})
    ready.set()
    i = 10
    while not stopping.is_set():
        # Two jobs a second in, fewer processed: a backlog with an oldest waiting job.
        await emails.add("send", {"i": i}, {"removeOnComplete": False, "removeOnFail": False})
        i += 1
        await asyncio.sleep(0.5)
    await worker.close(force=True)
    await emails.close()
    await reports.close()


def redis_keys(base_url, sessions_db, teams_db):
    import redis
    sessions = redis.Redis.from_url(f"{base_url}/{sessions_db}")
    teams = redis.Redis.from_url(f"{base_url}/{teams_db}")
    # A stream with a consumer group behind it: one entry added per round, one in two read by the
    # group's consumer and one in two of those acknowledged, so lag and pending stay above zero.
    sessions.delete("orders:stream")
    sessions.xgroup_create("orders:stream", "billing", id="0", mkstream=True)
    n = 0
    while not stopping.is_set():
        n += 1
        sessions.xadd("orders:stream", {"order": str(n)}, maxlen=1000, approximate=False)
        if n % 2 == 0:
            read = sessions.xreadgroup("billing", "worker-1", {"orders:stream": ">"}, count=1)
            if read and n % 4 == 0:
                sessions.xack("orders:stream", "billing", *[i for _, entries in read for i, _ in entries])
        sessions.set(f"session:{n}", '{"user": %d}' % (n % 50), ex=600)
        sessions.get(f"session:{n // 2}")
        sessions.get(f"session:missing:{n}")
        teams.sadd(f"user:{n % 50}:teams", f"team-{n % 7}")
        teams.expire(f"user:{n % 50}:teams", 900)
        stopping.wait(0.2)


def write_backups(folder):
    os.makedirs(folder, exist_ok=True)
    old = os.path.join(folder, "vigil_20260101.sql.gz")
    with gzip.open(old, "wb") as f:
        f.write(b"-- pg_dump\n" + os.urandom(64 * 1024).hex().encode())
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    # The newest dump is cut short: not a gzip stream, and under half the size of the previous.
    with open(os.path.join(folder, "vigil_20260102.sql.gz"), "wb") as f:
        f.write(b"\x1f\x8b\x08\x00truncated")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg-dsn", required=True)
    ap.add_argument("--database", required=True)
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--redis-dbs", required=True)
    ap.add_argument("--backups", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--seconds", type=float, default=600)
    args = ap.parse_args()
    sessions_db, teams_db, bullmq_db = args.redis_dbs.split(",")

    write_backups(args.backups)
    db = postgres_setup(args.pg_dsn, args.database)
    children = postgres_sessions(db)
    threads = [threading.Thread(target=postgres_load, args=(db, args.pg_dsn), daemon=True),
               threading.Thread(target=redis_keys, args=(args.redis_url, sessions_db, teams_db), daemon=True)]

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    threads += [threading.Thread(target=server.serve_forever, daemon=True),
                threading.Thread(target=traffic, args=(port,), daemon=True)]
    ready = threading.Event()
    bullmq = threading.Thread(target=lambda: asyncio.run(bullmq_work(f"{args.redis_url}/{bullmq_db}", ready)),
                              daemon=True)
    for t in threads + [bullmq]:
        t.start()
    if not ready.wait(30):
        sys.exit("the BullMQ queues were not set up within 30 s")
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)

    # Until stdin closes or the time is up.
    closed = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
    closed.wait(args.seconds)
    stopping.set()
    for c in children:
        c.kill()
        c.wait(10)
    bullmq.join(10)
    server.shutdown()


if __name__ == "__main__":
    main()
