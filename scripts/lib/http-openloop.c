/*
 * http-openloop — an open-loop HTTP/1.1 latency client for scripts/bench-http.
 *
 * N keep-alive connections share one fixed request rate: request i of the run is due at
 * start + i / rate and goes to connection i mod N. A connection sends each request when it is
 * due, or as soon as its previous response is complete if that came later, and a request's
 * latency runs from the time it was *due* to the last byte of its response, so a stall counts
 * for every request it delays (no coordinated omission). Responses are parsed as HTTP/1.1:
 * status line, headers, then a body delimited by Content-Length, chunked transfer coding, or
 * the close of the connection.
 *
 * Bounded: sending stops after the duration (or after -n requests); responses still out are
 * waited for at most the request timeout, then counted as timeouts. Every failure is counted
 * and printed: connect and socket errors, timeouts, connections closed inside a response,
 * malformed responses, statuses other than 200, a body shorter than -b bytes, and (with -g)
 * a response that is not gzip. The exit status is 0 when every request was answered in full,
 * 3 when any failed or was never sent, 2 on bad arguments.
 *
 *   cc -O2 -o http-openloop http-openloop.c
 *   http-openloop -p 9633 -r 2000 -c 32 -d 10 -w 2 -g
 *
 * Prints one line of key=value pairs (latencies in milliseconds):
 *   offered= achieved= sent= ok= errors= connect= io= timeout= closed= malformed= status= short=
 *   encoding= unsent= body_bytes= p50= p90= p99= p999= max= lag_p99=
 * `lag_p99` is this client's own lateness in sending (send time minus due time) when the
 * connection was free: what the client itself adds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define MAX_HEADER 16384
#define READ_CHUNK 65536
#define MAX_SAMPLES 20000000L

enum conn_state { C_CLOSED, C_CONNECTING, C_IDLE, C_WAITING };
enum parse_state { P_HEADER, P_BODY_LENGTH, P_CHUNK_SIZE, P_CHUNK_DATA, P_CHUNK_CRLF, P_TRAILER, P_BODY_EOF };

struct conn {
    int fd;
    enum conn_state state;
    long next_slot;     /* index j of this connection's next request: due at slot j*N + id */
    int64_t due;        /* due time of the request in flight (ns) */
    int64_t sent_at;
    int64_t deadline;   /* request timeout of the request in flight */
    int64_t idle_since; /* when the connection became free for its next request */
    size_t written;
    /* response parsing */
    enum parse_state ps;
    char header[MAX_HEADER];
    size_t header_len;
    int status;
    int close_after;
    int gzip;
    int body_started;
    unsigned char first_bytes[2];
    int64_t remaining;  /* body bytes (Content-Length) or chunk bytes left */
    int64_t body_bytes;
    char line[256];     /* chunk-size and trailer lines */
    size_t line_len;
    int cr_seen;
};

static struct {
    const char *host;
    int port;
    const char *path;
    int connections;
    double rate;
    double duration;
    double warmup;
    long max_requests;
    double timeout;
    int gzip;
    long min_body;
    const char *accept;
} opt = {
    .host = "127.0.0.1", .port = 0, .path = "/metrics", .connections = 32, .rate = 1000,
    .duration = 10, .warmup = 1, .max_requests = 0, .timeout = 2, .gzip = 0, .min_body = 1,
    /* What Prometheus 2.x sends when scraping. */
    .accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
};

static struct conn *conns;
static int epfd, tfd;
static struct sockaddr_in addr;
static char request[2048];
static size_t request_len;
static int64_t start_ns, measure_from, send_until, hard_stop;
static long total_slots; /* requests that fall due before send_until (bounded by -n) */

static double *lat, *lag;
static long nlat, nlag;
static long n_ok, n_connect, n_io, n_timeout, n_closed, n_malformed, n_status, n_short, n_encoding;
static long n_sent;
static int64_t body_bytes_sum;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t slot_due(long slot) { return start_ns + (int64_t) ((double) slot * 1e9 / opt.rate); }

static long conn_slot(const struct conn *c, int id) { return c->next_slot * opt.connections + id; }

static void usage(void) {
    fprintf(stderr,
            "usage: http-openloop -p PORT [-h 127.0.0.1] [-P /metrics] [-c CONNECTIONS] [-r RATE]\n"
            "                     [-d SECONDS] [-w WARMUP_SECONDS] [-n MAX_REQUESTS] [-t TIMEOUT_SECONDS]\n"
            "                     [-g] [-b MIN_BODY_BYTES] [-a ACCEPT]\n");
    exit(2);
}

static void add_fd(int fd, uint32_t events, int id) {
    struct epoll_event ev = {.events = events, .data.u32 = (uint32_t) id};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) { perror("epoll_ctl"); exit(1); }
}

static void mod_fd(int fd, uint32_t events, int id) {
    struct epoll_event ev = {.events = events, .data.u32 = (uint32_t) id};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0) { perror("epoll_ctl"); exit(1); }
}

static void reset_parser(struct conn *c) {
    c->ps = P_HEADER;
    c->header_len = 0;
    c->status = 0;
    c->close_after = 0;
    c->gzip = 0;
    c->body_started = 0;
    c->remaining = 0;
    c->body_bytes = 0;
    c->line_len = 0;
    c->cr_seen = 0;
}

static void close_conn(struct conn *c) {
    if (c->fd >= 0) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_CLOSED;
}

static void open_conn(struct conn *c, int id) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { n_connect++; c->state = C_CLOSED; return; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *) &addr, sizeof addr);
    if (rc != 0 && errno != EINPROGRESS) { close(fd); n_connect++; c->state = C_CLOSED; return; }
    c->fd = fd;
    c->state = rc == 0 ? C_IDLE : C_CONNECTING;
    c->idle_since = now_ns();
    add_fd(fd, rc == 0 ? EPOLLIN : EPOLLOUT, id);
}

/* The request in flight failed: count it, drop the connection, reconnect for the next one. */
static void fail(struct conn *c, int id, long *counter) {
    (*counter)++;
    close_conn(c);
    c->next_slot++;
    open_conn(c, id);
}

static void record(struct conn *c, int id, int64_t t) {
    int ok = 1;
    if (c->status != 200) { n_status++; ok = 0; }
    else if (c->body_bytes < opt.min_body) { n_short++; ok = 0; }
    else if (opt.gzip && (!c->gzip || c->body_bytes < 2 || c->first_bytes[0] != 0x1f || c->first_bytes[1] != 0x8b)) {
        n_encoding++;
        ok = 0;
    }
    if (ok) {
        if (c->due >= measure_from) {
            n_ok++;
            body_bytes_sum += c->body_bytes;
            if (nlat < MAX_SAMPLES) lat[nlat++] = (double) (t - c->due) / 1e6;
        }
    }
    c->next_slot++;
    int must_close = c->close_after || c->ps == P_BODY_EOF;
    reset_parser(c);
    if (must_close) {
        close_conn(c);
        open_conn(c, id);
    } else {
        c->state = C_IDLE;
        c->idle_since = t;
        mod_fd(c->fd, EPOLLIN, id);
    }
}

/* Parses the complete header in c->header; 0 when usable. */
static int parse_header(struct conn *c) {
    char *h = c->header;
    h[c->header_len] = 0;
    if (strncmp(h, "HTTP/1.", 7) != 0 || (h[7] != '0' && h[7] != '1') || h[8] != ' ') return -1;
    if (h[9] < '1' || h[9] > '9' || h[10] < '0' || h[10] > '9' || h[11] < '0' || h[11] > '9') return -1;
    c->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    if (h[7] == '0') c->close_after = 1;
    int64_t length = -1;
    int chunked = 0;
    char *line = strstr(h, "\r\n");
    while (line != NULL) {
        line += 2;
        char *end = strstr(line, "\r\n");
        if (end == NULL || end == line) break;
        *end = 0;
        char *colon = strchr(line, ':');
        if (colon == NULL) return -1;
        *colon = 0;
        char *value = colon + 1;
        while (*value == ' ' || *value == '\t') value++;
        if (strcasecmp(line, "content-length") == 0) {
            char *stop;
            errno = 0;
            long long n = strtoll(value, &stop, 10);
            if (errno != 0 || stop == value || n < 0 || (length >= 0 && length != n)) return -1;
            length = n;
        } else if (strcasecmp(line, "transfer-encoding") == 0) {
            if (strcasestr(value, "chunked") == NULL) return -1;
            chunked = 1;
        } else if (strcasecmp(line, "connection") == 0) {
            if (strcasestr(value, "close") != NULL) c->close_after = 1;
        } else if (strcasecmp(line, "content-encoding") == 0) {
            if (strcasestr(value, "gzip") != NULL) c->gzip = 1;
        }
        line = end;
    }
    if (c->status == 204 || c->status == 304 || (c->status >= 100 && c->status < 200)) {
        if (c->status < 200) return -1; /* never asked for an interim response */
        c->ps = P_BODY_LENGTH;
        c->remaining = 0;
    } else if (chunked) {
        c->ps = P_CHUNK_SIZE;
    } else if (length >= 0) {
        c->ps = P_BODY_LENGTH;
        c->remaining = length;
    } else {
        c->ps = P_BODY_EOF;
        c->close_after = 1;
    }
    return 0;
}

static void body_bytes(struct conn *c, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n && c->body_bytes + (int64_t) i < 2; i++) c->first_bytes[c->body_bytes + i] = p[i];
    c->body_bytes += (int64_t) n;
}

/* Feeds received bytes to the parser. Returns 1 when the response is complete, 0 when more is
 * needed, -1 when malformed (or when bytes arrive past the end of the response). */
static int feed(struct conn *c, const unsigned char *p, size_t n, size_t *used) {
    size_t i = 0;
    int done = 0;
    while (i < n && !done) {
        switch (c->ps) {
        case P_HEADER: {
            while (i < n) {
                if (c->header_len >= MAX_HEADER - 1) return -1;
                c->header[c->header_len++] = (char) p[i++];
                if (c->header_len >= 4 && memcmp(c->header + c->header_len - 4, "\r\n\r\n", 4) == 0) break;
            }
            if (c->header_len >= 4 && memcmp(c->header + c->header_len - 4, "\r\n\r\n", 4) == 0) {
                if (parse_header(c) != 0) return -1;
                if (c->ps == P_BODY_LENGTH && c->remaining == 0) done = 1;
            }
            break;
        }
        case P_BODY_LENGTH: {
            size_t take = (size_t) ((int64_t) (n - i) < c->remaining ? (int64_t) (n - i) : c->remaining);
            body_bytes(c, p + i, take);
            i += take;
            c->remaining -= (int64_t) take;
            if (c->remaining == 0) done = 1;
            break;
        }
        case P_BODY_EOF:
            body_bytes(c, p + i, n - i);
            i = n;
            break;
        case P_CHUNK_SIZE:
        case P_TRAILER: {
            unsigned char b = p[i++];
            if (b == '\n') {
                if (c->line_len == 0 || c->line[c->line_len - 1] != '\r') return -1;
                c->line[c->line_len - 1] = 0;
                if (c->ps == P_TRAILER) {
                    if (c->line_len == 1) done = 1; /* the empty line ends the trailers */
                    c->line_len = 0;
                    break;
                }
                char *stop;
                errno = 0;
                long long size = strtoll(c->line, &stop, 16);
                if (errno != 0 || stop == c->line || size < 0 || (*stop != 0 && *stop != ';' && *stop != ' ')) return -1;
                c->line_len = 0;
                if (size == 0) {
                    c->ps = P_TRAILER;
                } else {
                    c->remaining = size;
                    c->ps = P_CHUNK_DATA;
                }
            } else {
                if (c->line_len >= sizeof c->line - 1) return -1;
                c->line[c->line_len++] = (char) b;
            }
            break;
        }
        case P_CHUNK_DATA: {
            size_t take = (size_t) ((int64_t) (n - i) < c->remaining ? (int64_t) (n - i) : c->remaining);
            body_bytes(c, p + i, take);
            i += take;
            c->remaining -= (int64_t) take;
            if (c->remaining == 0) { c->ps = P_CHUNK_CRLF; c->line_len = 0; }
            break;
        }
        case P_CHUNK_CRLF: {
            unsigned char b = p[i++];
            if (c->line_len == 0 && b == '\r') { c->line_len = 1; break; }
            if (c->line_len == 1 && b == '\n') { c->line_len = 0; c->ps = P_CHUNK_SIZE; break; }
            return -1;
        }
        }
    }
    *used = i;
    return done;
}

static void try_send(struct conn *c, int id, int64_t t) {
    while (c->written < request_len) {
        ssize_t w = send(c->fd, request + c->written, request_len - c->written, MSG_NOSIGNAL);
        if (w > 0) { c->written += (size_t) w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            mod_fd(c->fd, EPOLLIN | EPOLLOUT, id);
            return;
        }
        fail(c, id, &n_io);
        return;
    }
    (void) t;
    mod_fd(c->fd, EPOLLIN, id);
}

/* Sends this connection's next request if it is due (and allowed). */
static void maybe_send(struct conn *c, int id, int64_t t) {
    if (c->state != C_IDLE && c->state != C_CLOSED) return;
    long slot = conn_slot(c, id);
    if (slot >= total_slots) return;
    int64_t due = slot_due(slot);
    if (due > t) return;
    if (c->state == C_CLOSED) {
        /* Reconnect only when a request is due, so a refusing server is not hammered. */
        open_conn(c, id);
        if (c->state == C_CLOSED) { c->next_slot++; return; }
        if (c->state != C_IDLE) return;
    }
    c->due = due;
    c->sent_at = t;
    c->deadline = t + (int64_t) (opt.timeout * 1e9);
    c->written = 0;
    c->state = C_WAITING;
    reset_parser(c);
    n_sent++;
    if (due >= measure_from && c->idle_since <= due && nlag < MAX_SAMPLES) lag[nlag++] = (double) (t - due) / 1e6;
    try_send(c, id, t);
}

static void on_readable(struct conn *c, int id) {
    unsigned char buf[READ_CHUNK];
    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r > 0) {
            if (c->state != C_WAITING) { fail(c, id, &n_malformed); return; } /* unsolicited bytes */
            size_t off = 0;
            while (off < (size_t) r) {
                size_t used = 0;
                int rc = feed(c, buf + off, (size_t) r - off, &used);
                off += used;
                if (rc < 0) { fail(c, id, &n_malformed); return; }
                if (rc == 1) {
                    if (off < (size_t) r) { fail(c, id, &n_malformed); return; } /* bytes past the response */
                    record(c, id, now_ns());
                    return;
                }
            }
            continue;
        }
        if (r == 0) {
            if (c->state == C_WAITING && c->ps == P_BODY_EOF) { record(c, id, now_ns()); return; }
            if (c->state == C_WAITING) { fail(c, id, &n_closed); return; }
            /* Closed while idle (the server's keep-alive ended): reconnect, nothing lost. */
            close_conn(c);
            open_conn(c, id);
            return;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EINTR) continue;
        if (c->state == C_WAITING) fail(c, id, &n_io);
        else { close_conn(c); open_conn(c, id); }
        return;
    }
}

static void arm_timer(int64_t t) {
    int64_t next = hard_stop;
    for (int i = 0; i < opt.connections; i++) {
        struct conn *c = &conns[i];
        if (c->state == C_WAITING && c->deadline < next) next = c->deadline;
        if (c->state == C_IDLE || c->state == C_CLOSED) {
            long slot = conn_slot(c, i);
            if (slot < total_slots) {
                int64_t due = slot_due(slot);
                if (due < next) next = due;
            }
        }
    }
    if (next <= t) next = t + 1;
    struct itimerspec its = {0};
    its.it_value.tv_sec = next / 1000000000;
    its.it_value.tv_nsec = next % 1000000000;
    timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double quantile(const double *v, long n, double q) {
    if (n == 0) return 0;
    long k = (long) (q * (double) n + 0.999999999) - 1;
    if (k < 0) k = 0;
    if (k >= n) k = n - 1;
    return v[k];
}

int main(int argc, char **argv) {
    int ch;
    while ((ch = getopt(argc, argv, "h:p:P:c:r:d:w:n:t:gb:a:")) != -1) {
        switch (ch) {
        case 'h': opt.host = optarg; break;
        case 'p': opt.port = atoi(optarg); break;
        case 'P': opt.path = optarg; break;
        case 'c': opt.connections = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 'w': opt.warmup = atof(optarg); break;
        case 'n': opt.max_requests = atol(optarg); break;
        case 't': opt.timeout = atof(optarg); break;
        case 'g': opt.gzip = 1; break;
        case 'b': opt.min_body = atol(optarg); break;
        case 'a': opt.accept = optarg; break;
        default: usage();
        }
    }
    if (opt.port <= 0 || opt.port > 65535 || opt.connections < 1 || opt.connections > MAX_CONNECTIONS ||
        !(opt.rate > 0 && opt.rate <= 1e6) || !(opt.duration > 0 && opt.duration <= 3600) ||
        !(opt.warmup >= 0 && opt.warmup <= 600) || opt.max_requests < 0 || !(opt.timeout > 0 && opt.timeout <= 60) ||
        opt.min_body < 0 || strlen(opt.path) > 512 || strlen(opt.accept) > 1024 || opt.path[0] != '/')
        usage();
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t) opt.port);
    if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1) usage();
    int len = snprintf(request, sizeof request,
                       "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: vigil-http-openloop\r\nAccept: %s\r\n%s"
                       "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
                       opt.path, opt.host, opt.port, opt.accept, opt.gzip ? "Accept-Encoding: gzip\r\n" : "");
    if (len <= 0 || (size_t) len >= sizeof request) usage();
    request_len = (size_t) len;

    long slots = (long) ((opt.warmup + opt.duration) * opt.rate);
    if (opt.max_requests > 0 && opt.max_requests < slots) slots = opt.max_requests;
    if (slots > MAX_SAMPLES) { fprintf(stderr, "http-openloop: more than %ld requests\n", MAX_SAMPLES); return 2; }
    total_slots = slots;
    lat = malloc(sizeof(double) * (size_t) (slots + 1));
    lag = malloc(sizeof(double) * (size_t) (slots + 1));
    conns = calloc((size_t) opt.connections, sizeof *conns);
    if (lat == NULL || lag == NULL || conns == NULL) { perror("malloc"); return 1; }

    /* Timers fire within a microsecond, not the default 50 µs of slack. */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (epfd < 0 || tfd < 0) { perror("epoll/timerfd"); return 1; }
    add_fd(tfd, EPOLLIN, MAX_CONNECTIONS);

    for (int i = 0; i < opt.connections; i++) {
        conns[i].fd = -1;
        reset_parser(&conns[i]);
        open_conn(&conns[i], i);
    }
    /* Let the connections establish before the schedule starts (at most a second). */
    int64_t t = now_ns();
    int64_t connect_by = t + 1000000000;
    for (;;) {
        int pending = 0;
        for (int i = 0; i < opt.connections; i++) pending += conns[i].state == C_CONNECTING;
        if (pending == 0 || now_ns() >= connect_by) break;
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, 10);
        for (int k = 0; k < n; k++) {
            uint32_t id = evs[k].data.u32;
            if (id == MAX_CONNECTIONS) continue;
            struct conn *c = &conns[id];
            if (c->state != C_CONNECTING) continue;
            int err = 0;
            socklen_t el = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
            if (err != 0) { n_connect++; close_conn(c); } /* retried when its first request is due */
            else { c->state = C_IDLE; mod_fd(c->fd, EPOLLIN, (int) id); }
        }
    }

    start_ns = now_ns();
    measure_from = start_ns + (int64_t) (opt.warmup * 1e9);
    send_until = start_ns + (int64_t) ((opt.warmup + opt.duration) * 1e9);
    hard_stop = send_until + (int64_t) (opt.timeout * 1e9);

    for (;;) {
        t = now_ns();
        int busy = 0;
        for (int i = 0; i < opt.connections; i++) {
            struct conn *c = &conns[i];
            if (c->state == C_WAITING && t >= c->deadline) fail(c, i, &n_timeout);
            maybe_send(c, i, t);
            if (c->state == C_WAITING || c->state == C_CONNECTING) busy = 1;
        }
        int more = 0;
        for (int i = 0; i < opt.connections; i++) more |= conn_slot(&conns[i], i) < total_slots;
        if (t >= hard_stop || (!busy && !more)) break;
        arm_timer(t);
        struct epoll_event evs[64];
        int n = epoll_wait(epfd, evs, 64, -1);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        for (int k = 0; k < n; k++) {
            uint32_t id = evs[k].data.u32;
            if (id == MAX_CONNECTIONS) {
                uint64_t expirations;
                ssize_t r = read(tfd, &expirations, sizeof expirations);
                (void) r;
                continue;
            }
            struct conn *c = &conns[id];
            if (c->fd < 0) continue;
            if (c->state == C_CONNECTING) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err != 0) {
                    /* The request waiting for this connection fails with it. */
                    n_connect++;
                    close_conn(c);
                    c->next_slot++;
                    continue;
                }
                c->state = C_IDLE;
                c->idle_since = now_ns();
                mod_fd(c->fd, EPOLLIN, (int) id);
                continue;
            }
            if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c, (int) id);
            if (c->fd >= 0 && c->state == C_WAITING && (evs[k].events & EPOLLOUT) && c->written < request_len)
                try_send(c, (int) id, now_ns());
        }
    }
    /* Requests still out at the hard stop are timeouts; requests due but never sent are unsent. */
    long unsent = 0;
    for (int i = 0; i < opt.connections; i++) {
        struct conn *c = &conns[i];
        if (c->state == C_WAITING) { n_timeout++; c->next_slot++; }
        for (long s = conn_slot(c, i); s < total_slots; s += opt.connections) unsent++;
        close_conn(c);
    }
    int64_t measured_ns = send_until - measure_from;
    if (opt.max_requests > 0 && slot_due(total_slots) < send_until) measured_ns = slot_due(total_slots) - measure_from;
    qsort(lat, (size_t) nlat, sizeof(double), cmp_double);
    qsort(lag, (size_t) nlag, sizeof(double), cmp_double);
    long errors = n_connect + n_io + n_timeout + n_closed + n_malformed + n_status + n_short + n_encoding;
    printf("offered=%.0f achieved=%.1f sent=%ld ok=%ld errors=%ld connect=%ld io=%ld timeout=%ld closed=%ld malformed=%ld "
           "status=%ld short=%ld encoding=%ld unsent=%ld body_bytes=%.0f p50=%.3f p90=%.3f p99=%.3f p999=%.3f max=%.3f "
           "lag_p99=%.3f\n",
           opt.rate, measured_ns > 0 ? (double) n_ok / ((double) measured_ns / 1e9) : 0.0, n_sent, n_ok, errors, n_connect, n_io,
           n_timeout, n_closed, n_malformed, n_status, n_short, n_encoding, unsent,
           n_ok > 0 ? (double) body_bytes_sum / (double) n_ok : 0.0, quantile(lat, nlat, 0.50), quantile(lat, nlat, 0.90),
           quantile(lat, nlat, 0.99), quantile(lat, nlat, 0.999), nlat > 0 ? lat[nlat - 1] : 0.0, quantile(lag, nlag, 0.99));
    return errors > 0 || unsent > 0 ? 3 : 0;
}
