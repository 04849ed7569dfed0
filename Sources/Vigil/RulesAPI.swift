import Foundation
import HTTPServer
import Rules
import Synchronization
import VigilCore

/// `/api/v1/query`, `/api/v1/alerts` and `/api/v1/rules` in the Prometheus HTTP API's shapes.
/// A query is a deferred reply: libmicrohttpd's thread hands it to the `QueryRunner` and is free
/// at once; the query evaluates on the runner's own threads, on a copy of the rule engine's
/// history, bounded by a deadline and a sample budget. Alerts and rules come from
/// `RulesReadAPI` (the runtime's published view, rendered off libmicrohttpd's threads).
struct RulesAPI: Sendable {
    let rules: RuleRuntime
    let queries: QueryRunner
    let reads: RulesReadAPI

    func register(on router: inout Router) {
        router.add("/api/v1/query", methods: ["GET", "POST"], reply: { [queries, rules] request in
            let received = ContinuousClock.now
            return .deferred { responder in
                queries.submit(request, received: received, rules: rules, responder: responder)
            }
        })
        reads.register(on: &router)
    }

    /// Unix seconds (fractions allowed) or RFC 3339, as Prometheus accepts; milliseconds out.
    /// The one place the API parses a time (swap in a Prometheus-exact parser here).
    static func parseTime(_ raw: String) -> Int64? {
        try? PrometheusAPI.parseTime(raw)
    }

    /// The `timeout` parameter as Prometheus' API reads it (`parseDuration`): seconds as a number
    /// (`2.5`) or a duration (`1m30s`); seconds out. Zero and negative numbers are allowed (the
    /// query then times out before it starts, as in Prometheus).
    static func parseTimeout(_ raw: String) -> Double? {
        (try? PrometheusAPI.parseDuration(raw)).map { Double($0) / 1000 }
    }

    static func formDecode(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            if let k = kv.first { out[k] = kv.count > 1 ? kv[1] : "" }
        }
        return out
    }

    static func json(_ data: Data, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(data))
    }
}

/// Runs API queries on dedicated threads (never libmicrohttpd's, never the Swift concurrency
/// pool): `maxConcurrency` at once, a few more waiting, 503 past that (Prometheus'
/// `--query.max-concurrency`, but refusing instead of queueing without bound). Each query gets a
/// deadline — `web.query_timeout` or the request's `timeout` parameter, the smaller, counted from
/// the request's arrival, so time spent waiting counts — and a sample budget (`web.query_max_samples`).
/// `shutdown` cancels running queries and answers waiting ones at once.
final class QueryRunner: Sendable {
    let timeout: Double
    let maxSamples: Int
    private let pool: WorkerPool
    /// Limits of the queries evaluating right now, so shutdown can cancel them.
    private let running = Mutex<[ObjectIdentifier: EvalLimits]>([:])
    private let stopping = Atomic<Bool>(false)

    init(timeout: Double, maxSamples: Int, maxConcurrency: Int, queueLimit: Int) {
        self.timeout = timeout
        self.maxSamples = maxSamples
        pool = WorkerPool(name: "vigil-query", threads: maxConcurrency, queueLimit: queueLimit)
    }

    convenience init(config: VigilConfig.Web) {
        self.init(timeout: config.queryTimeout, maxSamples: config.queryMaxSamples,
                  maxConcurrency: config.queryMaxConcurrency, queueLimit: config.queryQueueLimit)
    }

    /// Queries evaluating, and waiting for a thread.
    var load: (running: Int, waiting: Int) { (pool.running, pool.waiting) }

    func submit(_ request: HTTPRequest, received: ContinuousClock.Instant, rules: RuleRuntime, responder: HTTPResponder) {
        let accepted = pool.submit({ [self] in
            responder.respond(answer(request, received: received, rules: rules))
        }, ifDropped: {
            responder.respond(Self.unavailable("Vigil is shutting down"))
        })
        if !accepted {
            responder.respond(stopping.load(ordering: .relaxed)
                ? Self.unavailable("Vigil is shutting down")
                : Self.unavailable("too many queries in flight (\(pool.threads) evaluating, \(pool.queueLimit) waiting); try again later"))
        }
    }

    /// Refuses new queries, answers the waiting ones 503 and cancels the evaluating ones
    /// (they stop at their next poll); waits up to `seconds` for the threads to finish.
    func shutdown(waitSeconds: Double = 1) {
        stopping.store(true, ordering: .relaxed)
        for limits in running.withLock({ Array($0.values) }) { limits.cancel() }
        // A query that registers after the sweep above sees `stopping` and cancels itself.
        _ = pool.shutdown(waitSeconds: waitSeconds)
    }

    // MARK: on a query thread

    private func answer(_ request: HTTPRequest, received: ContinuousClock.Instant, rules: RuleRuntime) -> HTTPResponse {
        var params = request.query
        if request.method == "POST", request.header("content-type")?.hasPrefix("application/x-www-form-urlencoded") == true {
            for (k, v) in RulesAPI.formDecode(String(decoding: request.body, as: UTF8.self)) { params[k] = v }
        }
        var seconds = timeout
        if let raw = params["timeout"], !raw.isEmpty {
            guard let asked = RulesAPI.parseTimeout(raw) else {
                return Self.error("bad_data", "invalid parameter \"timeout\": cannot parse \"\(raw)\" to a valid duration", status: 400)
            }
            seconds = min(seconds, asked)
        }
        let deadline = received + .milliseconds(Int64((seconds * 1000).rounded(.down)))
        guard ContinuousClock.now < deadline else {
            return Self.error("timeout", "query timed out in query queue", status: 503)
        }
        guard let text = params["query"], !text.isEmpty else {
            return Self.error("bad_data", "parameter \"query\" is required", status: 400)
        }
        let time: Int64
        if let raw = params["time"], !raw.isEmpty {
            guard let t = RulesAPI.parseTime(raw) else {
                return Self.error("bad_data", "invalid parameter \"time\": cannot parse \"\(raw)\" to a valid timestamp", status: 400)
            }
            time = t
        } else {
            time = SeriesHistory.milliseconds(Date())
        }
        let expr: Expr
        do {
            expr = try PromQL.parse(text)
        } catch {
            return Self.error("bad_data", "\(error)", status: 400)
        }
        let limits = EvalLimits(deadline: deadline, maxSamples: maxSamples)
        let key = ObjectIdentifier(limits)
        running.withLock { $0[key] = limits }
        defer { running.withLock { $0[key] = nil } }
        if stopping.load(ordering: .relaxed) { limits.cancel() }
        let snapshot = rules.snapshot()
        do {
            let value = try Evaluator(history: snapshot.history, limits: limits).instant(expr, at: time)
            return RulesAPI.json(PrometheusAPI.queryResponse(value, at: time))
        } catch {
            switch error.kind {
            case .timeout: return Self.error("timeout", error.message, status: 503)
            case .canceled: return Self.unavailable("Vigil is shutting down (\(error.message))")
            case .tooManySamples, .execution: return Self.error("execution", error.message, status: 422)
            }
        }
    }

    private static func error(_ type: String, _ message: String, status: Int) -> HTTPResponse {
        RulesAPI.json(PrometheusAPI.errorResponse(type: type, message: message), status: status)
    }

    private static func unavailable(_ message: String) -> HTTPResponse {
        error("unavailable", message, status: 503)
    }
}
