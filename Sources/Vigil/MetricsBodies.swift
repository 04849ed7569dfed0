import HTTPServer
import Synchronization
import VigilCore

/// The `/metrics` answers, one per (format, gzip) variant of the store's current rendering: each
/// body is copied once into a `SharedBody`, when a request first asks for it after a landing, and
/// every request until the next landing is sent that same response — the same bytes and the same
/// header list, so the server queues the libmicrohttpd response the `SharedBody` keeps, without
/// making one of its own. The variant last negotiated is remembered with the `Accept` and
/// `Accept-Encoding` headers it was chosen for: a scraper sends the same ones every time, so its
/// requests compare two strings instead of parsing them.
final class MetricsBodies: Sendable {
    private struct Current {
        var generation: UInt64 = .max
        var variants: [HTTPResponse?] = [nil, nil, nil, nil]
        /// The headers last negotiated and the variant they chose.
        var negotiated: (accept: String?, acceptEncoding: String?, slot: Int)?
    }

    private let store: SnapshotStore
    private let current = Mutex(Current())

    init(store: SnapshotStore) { self.store = store }

    /// The answer for a request with these `Accept` and `Accept-Encoding` headers (see
    /// `ContentNegotiation`).
    func response(accept: String?, acceptEncoding: String?) -> HTTPResponse {
        let remembered = current.withLock { c -> Int? in
            guard let n = c.negotiated, n.accept == accept, n.acceptEncoding == acceptEncoding else { return nil }
            return n.slot
        }
        let slot = remembered ?? Self.slot(ContentNegotiation.format(accept: accept), gzip: ContentNegotiation.acceptsGzip(acceptEncoding))
        let format: ExpositionFormat = slot >= 2 ? .openMetrics : .text
        // The store renders a format from its first request on (`SnapshotStore.rendering`).
        let (generation, bodies) = store.rendering(format)
        if let kept = current.withLock({ c -> HTTPResponse? in
            if remembered == nil { c.negotiated = (accept, acceptEncoding, slot) }
            return c.generation == generation ? c.variants[slot] : nil
        }) { return kept }
        // Copied outside the lock; a request racing this one may copy the same bytes too, and
        // the newest generation's copy is the one kept.
        let gzip = slot & 1 == 1
        var headers = [("Content-Type", format.contentType), ("Vary", "Accept, Accept-Encoding")]
        if gzip { headers.append(("Content-Encoding", "gzip")) }
        let made = HTTPResponse(status: 200, headers: headers, shared: SharedBody(bodies.body(format, gzip: gzip)))
        current.withLock {
            if $0.generation != generation {
                guard $0.generation == .max || generation > $0.generation else { return }
                $0.generation = generation
                $0.variants = [nil, nil, nil, nil]
            }
            $0.variants[slot] = made
        }
        return made
    }

    private static func slot(_ format: ExpositionFormat, gzip: Bool) -> Int {
        (format == .openMetrics ? 2 : 0) + (gzip ? 1 : 0)
    }
}
