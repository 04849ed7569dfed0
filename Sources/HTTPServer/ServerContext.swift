import Synchronization

/// What the C callbacks need, passed to libmicrohttpd as an unretained `void *`.
/// The owning `HTTPServer` keeps it alive until `MHD_stop_daemon` has returned.
final class ServerContext: Sendable {
    let handler: @Sendable (HTTPRequest) -> HTTPResponse
    let maxBodyBytes: Int
    let log: (@Sendable (String) -> Void)?
    /// Request states currently allocated (between the first access-handler call and the
    /// request-completed callback). Returns to 0 when nothing is in flight: no per-request leak.
    let liveRequestStates = Atomic<Int>(0)

    init(
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse,
        maxBodyBytes: Int,
        log: (@Sendable (String) -> Void)?
    ) {
        self.handler = handler
        self.maxBodyBytes = maxBodyBytes
        self.log = log
    }
}

/// Per-request state stored in libmicrohttpd's `con_cls` (retained there, released by the
/// request-completed callback). Only ever touched by the one libmicrohttpd thread that owns its
/// connection.
final class RequestState {
    private let server: ServerContext
    var body: [UInt8] = []
    /// The body grew past the limit: further upload data is discarded and the answer is 413.
    var tooLarge = false
    /// A response has been queued already.
    var responded = false

    init(server: ServerContext) {
        self.server = server
        server.liveRequestStates.add(1, ordering: .relaxed)
    }

    deinit {
        server.liveRequestStates.subtract(1, ordering: .relaxed)
    }
}
