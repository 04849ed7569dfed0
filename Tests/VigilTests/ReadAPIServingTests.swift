import Dispatch
import Foundation
@testable import HTTPServer
import Logging
import Rules
import Synchronization
import Testing
import VigilCore
import VigilTestSupport
@testable import Vigil

/// `/api/v1/alerts` and `/api/v1/rules` never hold libmicrohttpd's threads: they answer from the
/// rule runtime's published view while an evaluation holds the runtime's queue, and a slow
/// rendering waits on the API's own thread (bounded queue, 503 past it) while `/metrics`,
/// `/-/healthy` and the status page's assets keep answering on the single HTTP thread. Every
/// wait below is a condition (a gate the test holds, a counter), never a sleep.
@Suite("Read API serving", .serialized)
struct ReadAPIServingTests {
    typealias Gate = StatusPageServingTests.Gate

    /// The real clock's time; timers fire at once (the coalescing window is not what is tested);
    /// evaluations after the first `free` ones wait at the gate.
    final class GatedRuleClock: RuleClock {
        let gate = Gate()
        private let free: Int
        private let measured = Atomic<Int>(0)

        init(free: Int) { self.free = free }

        func now() -> Date { Date() }

        func schedule(after delay: Double, repeating: Double?, on queue: DispatchQueue,
                      _ work: @escaping @Sendable () -> Void) -> any RuleTimer {
            if repeating == nil { queue.async(execute: work) }
            return NoTimer()
        }

        func measure<T>(_ body: () -> T) -> (result: T, seconds: Double) {
            if measured.add(1, ordering: .relaxed).newValue > free { gate.pass() }
            return (body(), 0.001)
        }

        struct NoTimer: RuleTimer { func cancel() {} }
    }

    static let silent = Logger(label: "read-api-test") { _ in SwiftLogNoOpLogHandler() }

    static func get(_ port: Int, _ path: String, _ extra: String = "") throws -> HTTPTestClient.Response {
        try fetch(port: port, "GET \(path) HTTP/1.1\r\nHost: x\r\n\(extra)Connection: close\r\n\r\n")
    }

    @Test("while a rule evaluation holds the runtime, /api/v1/alerts and /api/v1/rules answer from the last evaluation; /metrics, /-/healthy and the page's assets answer; the evaluation is still held after all of them")
    func evaluationInProgress() throws {
        let groups = try RuleFile.parse(text: """
            groups:
              - name: g
                rules:
                  - alert: Down
                    expr: up == 0
            """, file: "r.yml").groups
        let directory = NSTemporaryDirectory() + "vigil-read-api-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = GatedRuleClock(free: 1)
        let store = SnapshotStore()
        let runtime = RuleRuntime(settings: .init(groups: groups, collectionInterval: 10, evaluationInterval: 10, stateDirectory: directory),
                                  store: store, logger: Self.silent, clock: clock)
        defer {
            clock.gate.release()
            runtime.stop()
        }
        func land(_ value: Double) {
            runtime.ingest(source: "t", families: [.gauge("up", "Up.", [Sample(["job": "pg"], value)])], at: Date(), targetInterval: 10)
        }
        land(0)
        #expect(eventually(10) { runtime.view().alerts.contains { $0.labels["alertname"] == "Down" && $0.state == .firing } })
        let before = runtime.view().generation
        // The second evaluation stops at the gate, holding the runtime's queue (as a slow group would).
        land(1)
        #expect(eventually(10) { clock.gate.entered.load(ordering: .relaxed) == 1 })

        let queries = QueryRunner(timeout: 2, maxSamples: 1000, maxConcurrency: 1, queueLimit: 1)
        let reads = RulesReadAPI(view: { runtime.view() })
        let status = StatusPageSource(.init(targets: { [] }, rules: { nil }, notifier: { nil }, ready: { true }, dashboardsURL: { nil }))
        defer {
            queries.shutdown(waitSeconds: 0.5)
            reads.shutdown()
            status.shutdown()
        }
        let routes = Routes(store: store, rules: runtime, queries: queries, reads: reads, silences: { nil }, status: status,
                            reload: { .success(()) })
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: 64, connectionTimeoutSeconds: 10, threads: 1,
                                    reply: { routes.handle($0) })
        defer { server.stop() }
        server.setResponseHeaders(SecurityHeaders.everyResponse([]))

        for _ in 0..<3 {
            let alerts = try Self.get(server.port, "/api/v1/alerts")
            #expect(alerts.status == 200 && alerts.header("content-type") == "application/json")
            #expect(alerts.text.contains("\"alertname\":\"Down\"") && alerts.text.contains("\"state\":\"firing\""), "\(alerts.text)")
            #expect(alerts.header("x-content-type-options") == "nosniff")
            let rules = try Self.get(server.port, "/api/v1/rules")
            #expect(rules.status == 200 && rules.text.contains("\"name\":\"g\"") && rules.text.contains("\"health\":\"ok\""), "\(rules.text)")
            let metrics = try Self.get(server.port, "/metrics")
            #expect(metrics.status == 200 && metrics.text.contains("vigil_rule_group_evaluations_total"))
            #expect(metrics.header("x-content-type-options") == "nosniff" && metrics.header("content-security-policy") == nil)
            #expect(try Self.get(server.port, "/-/healthy").status == 200)
        }
        let css = try Self.get(server.port, StatusPage.stylesheet.path)
        #expect(css.status == 200 && css.body == StatusPage.stylesheet.body && css.header("content-type") == "text/css; charset=utf-8")
        #expect(css.header("cache-control") == "public, max-age=31536000, immutable" && css.header("etag") == StatusPage.stylesheet.etag)
        let revalidated = try Self.get(server.port, StatusPage.scriptAsset.path, "If-None-Match: \(StatusPage.scriptAsset.etag)\r\n")
        #expect(revalidated.status == 304 && revalidated.body.isEmpty)
        #expect(try Self.get(server.port, "/static/status.0000000000000000.js").status == 404)
        let page = try Self.get(server.port, "/")
        #expect(page.status == 200 && page.header("content-security-policy") == SecurityHeaders.contentSecurityPolicy)
        #expect(page.header("x-frame-options") == "DENY" && page.header("referrer-policy") == "no-referrer" && page.header("x-content-type-options") == "nosniff")
        #expect(page.text.contains(StatusPage.stylesheet.relativePath) && page.text.contains(StatusPage.scriptAsset.relativePath))

        // None of that waited for the evaluation: it is still at the gate, and nothing new was published.
        #expect(clock.gate.entered.load(ordering: .relaxed) == 1 && runtime.view().generation == before)
        clock.gate.release()
        #expect(eventually(10) { runtime.view().generation > before })
        // The next request sees the new evaluation (the alert resolved).
        #expect(eventually(10) { (try? Self.get(server.port, "/api/v1/alerts").text.contains("\"alerts\":[]")) == true })
    }

    @Test("a stalled rendering never makes /metrics wait; past one rendering and four waiting, /api/v1/rules is 503 with Retry-After at once; the waiting ones get the bytes rendered once; a new generation renders again")
    func stalledRendering() throws {
        let gate = Gate()
        let generation = Atomic<UInt64>(7)
        let renders = Atomic<Int>(0)
        let reads = RulesReadAPI(view: { RuleRuntime.View(generation: generation.load(ordering: .relaxed), alerts: [], groups: []) },
                                 render: { endpoint, view in
                                     renders.add(1, ordering: .relaxed)
                                     gate.pass()
                                     return RulesReadAPI.render(endpoint, view)
                                 }, threads: 1, queueLimit: 4)
        defer { reads.shutdown() }
        var router = Router()
        router.get("/metrics") { _ in .text("up 1\n") }
        router.get("/-/healthy") { _ in .text("ok\n") }
        reads.register(on: &router)
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: 64, connectionTimeoutSeconds: 10,
                                    threads: 1, reply: router.handler)
        defer {
            gate.release()
            server.stop()
        }
        let request = "GET /api/v1/rules HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let waiting = try (0..<5).map { _ in try RawConnection(port: server.port, receiveTimeoutSeconds: 20) }
        for c in waiting { try c.send(request) }
        #expect(eventually(5) { gate.entered.load(ordering: .relaxed) == 1 && server.deferredInFlight == 5 && reads.load == (1, 4) })
        for _ in 0..<5 {
            #expect(try Self.get(server.port, "/metrics").text == "up 1\n")
            #expect(try Self.get(server.port, "/-/healthy").status == 200)
        }
        let refused = try fetch(port: server.port, request)
        #expect(refused.status == 503 && refused.header("retry-after") == "1", "\(refused.text)")
        #expect(refused.text.contains("\"errorType\":\"unavailable\"") && refused.header("content-type") == "application/json")
        gate.release()
        for c in waiting {
            let r = try HTTPTestClient.parse(c.readToEOF(), method: "GET")
            #expect(r.status == 200 && r.text == "{\"data\":{\"groups\":[]},\"status\":\"success\"}", "\(r.text)")
        }
        // One rendering served all five; the same generation again is answered from those bytes.
        #expect(renders.load(ordering: .relaxed) == 1)
        #expect(try fetch(port: server.port, request).status == 200)
        #expect(renders.load(ordering: .relaxed) == 1)
        // A new evaluation's view is rendered anew; the other endpoint has its own bytes.
        generation.store(8, ordering: .relaxed)
        #expect(try fetch(port: server.port, request).status == 200)
        #expect(try Self.get(server.port, "/api/v1/alerts").text == "{\"data\":{\"alerts\":[]},\"status\":\"success\"}")
        #expect(renders.load(ordering: .relaxed) == 3)
    }
}
