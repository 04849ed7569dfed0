import Foundation
import HTTPServer
import Rules
import Synchronization

/// `/api/v1/alerts` and `/api/v1/rules`. Both are rendered from the rule runtime's published
/// `RuleRuntime.View` (taken under a short lock; never `snapshot()`, which waits for the
/// evaluation in progress) and the bytes are kept per generation: a request for a generation
/// already rendered is answered at once from them; otherwise it is a deferred reply, rendered
/// on this API's own thread (`WorkerPool`, one thread, a short queue, 503 with `Retry-After`
/// past it). libmicrohttpd's threads — and with them `/metrics` and `/-/healthy` — never wait
/// for a rule evaluation or for a large rendering.
final class RulesReadAPI: Sendable {
    enum Endpoint: String, Sendable, CaseIterable {
        case alerts = "/api/v1/alerts"
        case rules = "/api/v1/rules"
    }

    /// Renders one endpoint's JSON from a view (`RulesReadAPI.render` unless a test slows it).
    typealias Renderer = @Sendable (Endpoint, RuleRuntime.View) -> Data

    private let view: @Sendable () -> RuleRuntime.View
    private let renderer: Renderer
    private let pool: WorkerPool
    private let rendered = Mutex<[Endpoint: (generation: UInt64, body: [UInt8])]>([:])

    /// `view` must return at once (`RuleRuntime.view`).
    init(view: @escaping @Sendable () -> RuleRuntime.View, render: @escaping Renderer = RulesReadAPI.render,
         threads: Int = 1, queueLimit: Int = 8) {
        self.view = view
        renderer = render
        pool = WorkerPool(name: "vigil-api", threads: threads, queueLimit: queueLimit)
    }

    static func render(_ endpoint: Endpoint, _ view: RuleRuntime.View) -> Data {
        switch endpoint {
        case .alerts: PrometheusAPI.alertsResponse(view.alerts)
        case .rules: PrometheusAPI.rulesResponse(view.groups)
        }
    }

    func register(on router: inout Router) {
        for endpoint in Endpoint.allCases {
            router.add(endpoint.rawValue, methods: ["GET"], reply: { [self] _ in reply(endpoint) })
        }
    }

    /// Requests rendering or waiting for a thread.
    var load: (running: Int, waiting: Int) { (pool.running, pool.waiting) }

    func reply(_ endpoint: Endpoint) -> HTTPReply {
        if let body = current(endpoint, generation: view().generation) { return .now(Self.json(body)) }
        return .deferred { [self] responder in
            let queued = pool.submit({ [self] in
                responder.respond(Self.json(body(endpoint)))
            }, ifDropped: { responder.respond(Self.unavailable("Vigil is shutting down", retry: false)) })
            if !queued {
                responder.respond(Self.unavailable("too many API requests waiting (\(pool.queueLimit)); try again shortly", retry: true))
            }
        }
    }

    func shutdown() { _ = pool.shutdown(waitSeconds: 1) }

    // MARK: on the API thread

    /// The bytes for the latest view: kept ones when a request before this one rendered them.
    private func body(_ endpoint: Endpoint) -> [UInt8] {
        let latest = view()
        if let body = current(endpoint, generation: latest.generation) { return body }
        let body = Array(renderer(endpoint, latest))
        rendered.withLock { kept in
            if (kept[endpoint]?.generation ?? 0) <= latest.generation { kept[endpoint] = (latest.generation, body) }
        }
        return body
    }

    private func current(_ endpoint: Endpoint, generation: UInt64) -> [UInt8]? {
        rendered.withLock { kept in kept[endpoint].flatMap { $0.generation == generation ? $0.body : nil } }
    }

    private static func json(_ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }

    private static func unavailable(_ message: String, retry: Bool) -> HTTPResponse {
        var r = RulesAPI.json(PrometheusAPI.errorResponse(type: "unavailable", message: message), status: 503)
        if retry { r.headers.append(("Retry-After", "1")) }
        return r
    }
}
