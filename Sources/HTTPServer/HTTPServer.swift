#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMicroHTTPD
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: `threads` internal epoll threads (one by default), a
/// connection limit, a per-connection idle timeout and a request-header deadline.
///
/// The handler runs synchronously on the libmicrohttpd thread that owns the connection; with
/// several threads it runs concurrently for different connections. It must never block, sleep,
/// do I/O or wait for async work — copy pre-rendered bytes and return `.now`, or return
/// `.deferred` and answer later from another executor (`WorkerPool`): the connection is then
/// suspended and the thread is free at once. A slow handler stalls every connection of its thread.
///
/// Slow and idle clients: a request header must be complete within `headerTimeoutSeconds` of
/// the connection's start (libmicrohttpd's idle timeout alone is reset by every byte, so a
/// client trickling one byte a second would hold its connection for ever), and when the open
/// connections pass ⅞ of the limit each new one evicts the oldest connection still waiting for a
/// header. See `ConnectionTracker`.
///
/// Protocol strictness: methods are case-sensitive (RFC 9110): anything but `GET`, `HEAD`,
/// `POST`, `PUT`, `DELETE`, `CONNECT`, `OPTIONS`, `TRACE`, `PATCH` is answered 501 before the
/// handler; a path that holds a control character (raw or percent-encoded, e.g. `%00`) is
/// answered 400.
public final class HTTPServer: Sendable {
    /// The port the server is bound to (the ephemeral port when listening on port 0).
    public let port: Int
    /// The listen address as given.
    public let listenAddress: String
    /// Whether the server speaks HTTPS.
    public let isTLS: Bool

    private let context: ServerContext
    private let daemon: Mutex<DaemonHandle?>

    /// Starts serving at once.
    ///
    /// - Parameters:
    ///   - listenAddress: `":9633"` (every interface; IPv6 dual-stack when available, else IPv4),
    ///     `"127.0.0.1:9633"`, `"0.0.0.0:9633"`, `"[::1]:9633"`, `"[::]:9633"`, `"localhost:9633"`.
    ///     Port 0 binds an ephemeral port (see `port`).
    ///   - connectionLimit: concurrent connections held; more wait in the listen backlog. Past
    ///     ⅞ of it, a new connection evicts the oldest one still waiting for a request header.
    ///   - connectionTimeoutSeconds: an idle connection is closed after this many seconds.
    ///   - headerTimeoutSeconds: a request header must be complete this long after the
    ///     connection started (a kept-alive connection: after its previous response, plus the
    ///     idle timeout), however slowly it trickles in.
    ///   - maxBodyBytes: larger request bodies are answered with 413 without reaching the handler.
    ///   - log: receives libmicrohttpd's error messages; nil leaves them on stderr.
    ///   - tls: serve HTTPS with these credentials (nil: plain HTTP). Requests whose client
    ///     certificate does not satisfy `clientAuth` are answered 403 before the handler.
    ///   - reply: answers every request. Runs on libmicrohttpd's thread; must never block or
    ///     await (see the type's documentation). Must not call `stop()`.
    /// - Throws: `HTTPServerError` naming the address when it does not parse, cannot be bound,
    ///   or libmicrohttpd does not start.
    public init(
        listenAddress: String,
        connectionLimit: Int = 256,
        connectionTimeoutSeconds: Int = 10,
        headerTimeoutSeconds: Double = 5,
        maxBodyBytes: Int = 1 << 20,
        threads: Int = 1,
        log: (@Sendable (String) -> Void)? = nil,
        tls: TLSConfiguration? = nil,
        reply: @escaping @Sendable (HTTPRequest) -> HTTPReply
    ) throws(HTTPServerError) {
        let address = try ListenAddress.parse(listenAddress)
        guard connectionLimit >= 1, connectionLimit <= Int(Int32.max) else {
            throw .daemonStartFailed(address: listenAddress, reason: "connection limit must be at least 1")
        }
        guard connectionTimeoutSeconds >= 0, connectionTimeoutSeconds <= Int(Int32.max) else {
            throw .daemonStartFailed(address: listenAddress, reason: "connection timeout must not be negative")
        }
        guard headerTimeoutSeconds.isFinite, headerTimeoutSeconds > 0, headerTimeoutSeconds <= 86_400 else {
            throw .daemonStartFailed(address: listenAddress, reason: "header timeout must be more than 0 and at most 1d")
        }
        if let tls, let problem = tls.problem() {
            throw .daemonStartFailed(address: listenAddress, reason: "TLS: \(problem.message)")
        }
        let fd = try ListenSocket.open(address, as: listenAddress)
        let socketPort = ListenSocket.boundPort(fd)

        let tracker = ConnectionTracker(
            headerTimeoutSeconds: headerTimeoutSeconds,
            idleTimeoutSeconds: connectionTimeoutSeconds,
            evictAbove: Self.evictionThreshold(connectionLimit))
        let context = ServerContext(handler: reply, maxBodyBytes: max(0, maxBodyBytes), tracker: tracker, log: log,
                                    clientAuth: tls?.clientAuth ?? .none)
        guard tracker.startWatchdog() else {
            close(fd)
            throw .daemonStartFailed(address: listenAddress, reason: "cannot start the connection watchdog thread")
        }
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        let flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_USE_ERROR_LOG.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let started = withOptionalCString(tls?.keyPEM) { key in
            withOptionalCString(tls?.certificatePEM) { cert in
                withOptionalCString(tls?.clientAuth == TLSConfiguration.ClientAuth.none ? nil : tls?.clientCAPEM) { trust in
                    withOptionalCString(tls?.priorities) { priorities in
                        vigil_mhd_start_daemon(
                            flags,
                            fd,
                            UInt32(connectionLimit),
                            UInt32(connectionTimeoutSeconds),
                            UInt32(max(1, threads)),
                            mhdAccessHandler, contextPointer,
                            mhdRequestCompleted, contextPointer,
                            mhdConnectionNotify, contextPointer,
                            mhdURILogger, contextPointer,
                            log == nil ? nil : mhdLogger, contextPointer,
                            key, cert, trust, priorities)
                    }
                }
            }
        }
        guard let started else {
            tracker.stopWatchdog()
            close(fd)
            throw .daemonStartFailed(address: listenAddress, reason: "libmicrohttpd did not start (see its log)")
        }
        let reported = Int(vigil_mhd_bind_port(started))
        self.port = reported != 0 ? reported : socketPort
        self.listenAddress = listenAddress
        self.isTLS = tls != nil
        self.context = context
        self.daemon = Mutex(DaemonHandle(pointer: started))
    }

    /// A server whose every answer is immediate (see the main initializer).
    public convenience init(
        listenAddress: String,
        connectionLimit: Int = 256,
        connectionTimeoutSeconds: Int = 10,
        headerTimeoutSeconds: Double = 5,
        maxBodyBytes: Int = 1 << 20,
        threads: Int = 1,
        log: (@Sendable (String) -> Void)? = nil,
        tls: TLSConfiguration? = nil,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(HTTPServerError) {
        try self.init(
            listenAddress: listenAddress, connectionLimit: connectionLimit,
            connectionTimeoutSeconds: connectionTimeoutSeconds, headerTimeoutSeconds: headerTimeoutSeconds,
            maxBodyBytes: maxBodyBytes, threads: threads, log: log, tls: tls,
            reply: { .now(handler($0)) })
    }

    /// Open connections past which a new one evicts the oldest one waiting for a header: ⅞ of
    /// the limit, so the eighth left over absorbs evicted connections libmicrohttpd has not
    /// closed yet and new clients are accepted meanwhile.
    static func evictionThreshold(_ limit: Int) -> Int {
        limit - max(1, limit / 8)
    }

    /// Headers added to every response from now on (a response's own header of the same name wins).
    public func setResponseHeaders(_ headers: [(String, String)]) {
        context.extraHeaders.withLock { $0 = ExtraHeaders(generation: ExtraHeaders.next(), headers: headers) }
    }

    /// Requests whose state is allocated right now (for tests: 0 when idle means nothing leaked).
    var requestStatesInFlight: Int { context.liveRequestStates.load(ordering: .relaxed) }
    /// Requests suspended for a deferred reply right now.
    var deferredInFlight: Int { context.deferrals.count }
    /// Open connections, evictions and header timeouts so far.
    var connectionStats: ConnectionTracker.Stats { context.tracker.stats }

    /// Stops the daemon: answers every deferred request still waiting with 503 (waiting up to
    /// a second for those answers to leave), closes the listening socket and every connection
    /// and joins the internal threads. Idempotent and callable from any thread except the handler's.
    public func stop() {
        daemon.withLock { handle in
            guard let current = handle else { return }
            // libmicrohttpd must not be stopped with a suspended connection (it aborts).
            context.deferrals.drain(seconds: 1)
            context.tracker.stopWatchdog()
            MHD_stop_daemon(current.pointer)
            handle = nil
        }
    }

    deinit {
        stop()
        withExtendedLifetime(context) {}
    }
}

/// The daemon pointer; only used under the server's mutex.
private struct DaemonHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
