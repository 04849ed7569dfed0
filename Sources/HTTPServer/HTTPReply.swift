import CMicroHTTPD

/// What a handler gives back: a response now, or a promise to answer later.
public enum HTTPReply: Sendable {
    /// The response, queued at once on libmicrohttpd's thread.
    case now(HTTPResponse)
    /// The connection is suspended (libmicrohttpd's thread is free at once) and `start` is
    /// called right away, on that thread, with the responder that answers it. `start` must only
    /// hand the work to another executor (e.g. a `WorkerPool`) and return; the work calls
    /// `HTTPResponder.respond` once, from any thread. A suspended connection has no idle
    /// timeout: bound the work yourself. When the server stops first, the client gets 503.
    case deferred(@Sendable (HTTPResponder) -> Void)

    /// The immediate response, nil for a deferred reply.
    public var response: HTTPResponse? {
        if case .now(let r) = self { return r }
        return nil
    }
}

/// Answers one deferred request. Only the first `respond` counts; a responder released without
/// answering answers 500, so a forgotten request never hangs its client.
public final class HTTPResponder: Sendable {
    private let pending: PendingReply
    private let deferrals: Deferrals

    init(pending: PendingReply, deferrals: Deferrals) {
        self.pending = pending
        self.deferrals = deferrals
    }

    /// Sends `response` (from any thread). Returns false when the request was answered already
    /// or its connection is gone (the server stopped, or it answered 503 while stopping).
    @discardableResult
    public func respond(_ response: HTTPResponse) -> Bool {
        deferrals.answer(pending, response, closeAfter: false)
    }

    deinit {
        _ = deferrals.answer(pending, .text(status: 500, "500 the request was dropped without an answer\n"), closeAfter: true)
    }
}

/// One suspended request: its connection and, once given, its answer. Guarded by the
/// `Deferrals` lock; the connection pointer is only used under that lock while registered.
final class PendingReply: @unchecked Sendable {
    let connection: OpaquePointer
    var answer: HTTPResponse?
    var closeAfter = false
    /// The access handler has taken the answer to queue it.
    var delivered = false
    /// Registered: the connection lives (libmicrohttpd has not reported the request complete).
    var registered = true

    init(connection: OpaquePointer) {
        self.connection = connection
    }
}

/// The suspended requests of one server. Lock order: this lock, then libmicrohttpd's internal
/// mutex (taken by MHD_suspend_connection / MHD_resume_connection); libmicrohttpd never calls
/// back into Vigil while holding that mutex, so the order cannot invert.
final class Deferrals: @unchecked Sendable {
    private let lock = ConditionLock()
    private var pending: [ObjectIdentifier: PendingReply] = [:]
    private var stopping = false

    /// Requests suspended right now (answered or not, until their connection finishes them).
    var count: Int { lock.withLock { pending.count } }

    /// Registers and suspends `connection`; called from the access handler. Nil once the server
    /// is stopping (the caller answers 503 instead).
    func suspend(_ connection: OpaquePointer) -> PendingReply? {
        lock.withLock {
            guard !stopping else { return nil }
            let p = PendingReply(connection: connection)
            pending[ObjectIdentifier(p)] = p
            MHD_suspend_connection(connection)
            return p
        }
    }

    /// Stores the answer and resumes the connection; false when it was answered already or is gone.
    func answer(_ p: PendingReply, _ response: HTTPResponse, closeAfter: Bool) -> Bool {
        lock.withLock {
            guard p.registered, p.answer == nil else { return false }
            p.answer = response
            p.closeAfter = closeAfter
            MHD_resume_connection(p.connection)
            return true
        }
    }

    /// The answer to queue, once the connection has been resumed; called from the access handler.
    func take(_ p: PendingReply) -> (response: HTTPResponse, closeAfter: Bool)? {
        lock.withLock {
            guard let answer = p.answer, !p.delivered else { return nil }
            p.delivered = true
            return (answer, p.closeAfter)
        }
    }

    /// libmicrohttpd finished the request (answered, or its connection closed).
    func finished(_ p: PendingReply) {
        lock.withLock {
            p.registered = false
            pending[ObjectIdentifier(p)] = nil
            if pending.isEmpty { lock.broadcast() }
        }
    }

    /// Refuses new suspensions, answers every unanswered request 503 (so no connection stays
    /// suspended: libmicrohttpd must not stop with one), and waits up to `seconds` for those
    /// answers to go out.
    func drain(seconds: Double) {
        let deadline = monotonicNanoseconds() + UInt64(max(0, seconds) * 1e9)
        lock.withLock {
            stopping = true
            for p in pending.values where p.answer == nil {
                p.answer = .text(status: 503, "503 the server is shutting down\n")
                p.closeAfter = true
                MHD_resume_connection(p.connection)
            }
            while !pending.isEmpty {
                let now = monotonicNanoseconds()
                guard now < deadline else { break }
                lock.wait(seconds: Double(deadline - now) / 1e9)
            }
        }
    }
}
