#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CMicroHTTPD
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd: `threads` internal epoll threads (one by default), a
/// connection limit and a per-connection idle timeout.
///
/// The handler runs synchronously on the libmicrohttpd thread that owns the connection; with
/// several threads it runs concurrently for different connections. It must never block, sleep,
/// do I/O or wait for async work — copy pre-rendered bytes and return. A slow handler stalls
/// every connection of its thread.
public final class HTTPServer: Sendable {
    /// The port the server is bound to (the ephemeral port when listening on port 0).
    public let port: Int
    /// The listen address as given.
    public let listenAddress: String

    private let context: ServerContext
    private let daemon: Mutex<DaemonHandle?>

    /// Starts serving at once.
    ///
    /// - Parameters:
    ///   - listenAddress: `":9633"` (every interface; IPv6 dual-stack when available, else IPv4),
    ///     `"127.0.0.1:9633"`, `"0.0.0.0:9633"`, `"[::1]:9633"`, `"[::]:9633"`, `"localhost:9633"`.
    ///     Port 0 binds an ephemeral port (see `port`).
    ///   - connectionLimit: concurrent connections accepted; more are refused.
    ///   - connectionTimeoutSeconds: an idle connection is closed after this many seconds.
    ///   - maxBodyBytes: larger request bodies are answered with 413 without reaching the handler.
    ///   - log: receives libmicrohttpd's error messages; nil leaves them on stderr.
    ///   - handler: answers every request. Runs on libmicrohttpd's thread; must never block or
    ///     await (see the type's documentation). Must not call `stop()`.
    /// - Throws: `HTTPServerError` naming the address when it does not parse, cannot be bound,
    ///   or libmicrohttpd does not start.
    public init(
        listenAddress: String,
        connectionLimit: Int = 256,
        connectionTimeoutSeconds: Int = 10,
        maxBodyBytes: Int = 1 << 20,
        threads: Int = 1,
        log: (@Sendable (String) -> Void)? = nil,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws(HTTPServerError) {
        let address = try ListenAddress.parse(listenAddress)
        guard connectionLimit >= 1, connectionLimit <= Int(Int32.max) else {
            throw .daemonStartFailed(address: listenAddress, reason: "connection limit must be at least 1")
        }
        guard connectionTimeoutSeconds >= 0, connectionTimeoutSeconds <= Int(Int32.max) else {
            throw .daemonStartFailed(address: listenAddress, reason: "connection timeout must not be negative")
        }
        let fd = try ListenSocket.open(address, as: listenAddress)
        let socketPort = ListenSocket.boundPort(fd)

        let context = ServerContext(handler: handler, maxBodyBytes: max(0, maxBodyBytes), log: log)
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        let flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_USE_ERROR_LOG.rawValue
        let started = vigil_mhd_start_daemon(
            flags,
            fd,
            UInt32(connectionLimit),
            UInt32(connectionTimeoutSeconds),
            UInt32(max(1, threads)),
            mhdAccessHandler, contextPointer,
            mhdRequestCompleted, contextPointer,
            log == nil ? nil : mhdLogger, contextPointer
        )
        guard let started else {
            close(fd)
            throw .daemonStartFailed(address: listenAddress, reason: "libmicrohttpd did not start (see its log)")
        }
        let reported = Int(vigil_mhd_bind_port(started))
        self.port = reported != 0 ? reported : socketPort
        self.listenAddress = listenAddress
        self.context = context
        self.daemon = Mutex(DaemonHandle(pointer: started))
    }

    /// Requests whose state is allocated right now (for tests: 0 when idle means nothing leaked).
    var requestStatesInFlight: Int { context.liveRequestStates.load(ordering: .relaxed) }

    /// Stops the daemon: closes the listening socket and every connection and joins the
    /// internal thread. Idempotent and callable from any thread except the handler's.
    public func stop() {
        daemon.withLock { handle in
            guard let current = handle else { return }
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
