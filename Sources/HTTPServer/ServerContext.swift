import Synchronization

/// What the C callbacks need, passed to libmicrohttpd as an unretained `void *`.
/// The owning `HTTPServer` keeps it alive until `MHD_stop_daemon` has returned.
final class ServerContext: Sendable {
    let handler: @Sendable (HTTPRequest) -> HTTPReply
    let maxBodyBytes: Int
    let log: (@Sendable (String) -> Void)?
    /// Open connections, header deadlines and eviction.
    let tracker: ConnectionTracker
    /// Suspended (deferred) requests.
    let deferrals = Deferrals()
    /// Request states currently allocated (between the request line and the request-completed
    /// callback). Returns to 0 when nothing is in flight: no per-request leak.
    let liveRequestStates = Atomic<Int>(0)
    /// Headers added to every response (exporter-toolkit's `http_server_config.headers`), with
    /// a generation number unique across every server of the process, new with each change: a
    /// response kept by a `SharedBody` is reused only while it matches.
    let extraHeaders = Mutex<ExtraHeaders>(ExtraHeaders(generation: ExtraHeaders.next(), headers: []))
    /// What a TLS client's certificate must satisfy (`.none` for plain HTTP).
    let clientAuth: TLSConfiguration.ClientAuth

    init(
        handler: @escaping @Sendable (HTTPRequest) -> HTTPReply,
        maxBodyBytes: Int,
        tracker: ConnectionTracker,
        log: (@Sendable (String) -> Void)?,
        clientAuth: TLSConfiguration.ClientAuth = .none
    ) {
        self.clientAuth = clientAuth
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.tracker = tracker
        self.log = log
    }
}

struct ExtraHeaders: Sendable {
    let generation: UInt64
    let headers: [(String, String)]

    private static let counter = Atomic<UInt64>(0)
    static func next() -> UInt64 { counter.add(1, ordering: .relaxed).newValue }
}

/// Per-request state stored in libmicrohttpd's `con_cls` (retained there from the request line
/// on, released by the request-completed callback). Only ever touched by the one libmicrohttpd
/// thread that owns its connection.
final class RequestState {
    private let server: ServerContext
    /// The raw request target's path decodes to a control character (`%00`, `%0A`, …):
    /// libmicrohttpd's decoded path would end at a NUL, so this is judged on the raw bytes.
    var pathHasControlCharacter = false
    /// Address just past the raw request target as the URI logger saw it (up to its first NUL);
    /// 0 when unknown. See `rawTargetHasNUL`.
    var rawTargetEnd: UInt = 0
    /// The raw request target holds a `?` (so there may be query arguments to collect).
    var hasQuery = false
    /// The access handler has seen the complete header.
    var started = false
    var body: [UInt8] = []
    /// The body grew past the limit: further upload data is discarded and the answer is 413.
    var tooLarge = false
    /// A response has been queued already (or the request was handed to a deferred reply).
    var responded = false
    /// The deferred reply this request waits for, while its connection is suspended.
    var pending: PendingReply?

    init(server: ServerContext) {
        self.server = server
        server.liveRequestStates.add(1, ordering: .relaxed)
    }

    deinit {
        server.liveRequestStates.subtract(1, ordering: .relaxed)
    }
}
