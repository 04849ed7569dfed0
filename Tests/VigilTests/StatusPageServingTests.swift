import Dispatch
import Foundation
@testable import HTTPServer
import Notify
import Synchronization
import Testing
import VigilCore
import VigilTestSupport
@testable import Vigil

/// `/` is a deferred reply rendered on the status page's own thread: while putting the page
/// together waits (here: on a gate in the targets input, as a long rule evaluation would hold
/// the rule runtime's snapshot), the single libmicrohttpd thread keeps answering `/metrics` at
/// once; past one rendering and four waiting, `/` is refused with 503 at once; the waiting ones
/// are answered when the gate opens.
@Suite("Status page serving", .serialized)
struct StatusPageServingTests {
    final class Gate: Sendable {
        private let open = Atomic<Bool>(false)
        let entered = Atomic<Int>(0)
        func release() { open.store(true, ordering: .relaxed) }
        func pass() {
            entered.add(1, ordering: .relaxed)
            // Bounded: a test that forgets to open the gate fails instead of hanging.
            let end = ContinuousClock.now + .seconds(20)
            while !open.load(ordering: .relaxed), ContinuousClock.now < end { usleep(2_000) }
        }
    }

    @Test("a stalled status page never makes /metrics wait; the sixth concurrent / gets 503 at once; the rest render when it unstalls")
    func stalledPageKeepsMetricsFree() throws {
        let gate = Gate()
        let source = StatusPageSource(.init(
            targets: {
                gate.pass()
                return [TargetStatus(kind: "redis", name: "cache", up: true, lastCollection: Date(), duration: 0.01, lastError: nil, interval: 15)]
            },
            rules: { nil }, notifier: { nil }, ready: { true }, dashboardsURL: { nil }))
        defer { source.shutdown() }
        var router = Router()
        router.get("/metrics") { _ in .text("up 1\n") }
        router.add("/", methods: ["GET"], reply: { _ in source.reply() })
        let server = try HTTPServer(listenAddress: "127.0.0.1:0", connectionLimit: 64, connectionTimeoutSeconds: 10,
                                    threads: 1, reply: router.handler)
        defer { server.stop() }
        let page = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        let waiting = try (0..<5).map { _ in try RawConnection(port: server.port, receiveTimeoutSeconds: 20) }
        for c in waiting { try c.send(page) }
        #expect(eventually(5) { gate.entered.load(ordering: .relaxed) == 1 && server.deferredInFlight == 5 })
        for _ in 0..<5 {
            let start = ContinuousClock.now
            let r = try fetch(port: server.port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(r.status == 200 && r.text == "up 1\n")
            #expect(ContinuousClock.now - start < .seconds(1))
        }
        let refused = try fetch(port: server.port, page)
        #expect(refused.status == 503 && refused.header("retry-after") == "1", "\(refused.text)")
        gate.release()
        for c in waiting {
            let r = try HTTPTestClient.parse(c.readToEOF(), method: "GET")
            #expect(r.status == 200 && r.header("content-type") == "text/html; charset=utf-8")
            #expect(r.text.contains("<tr class=\"target\" data-kind=\"redis\" data-up=\"1\"><td>cache</td>"))
            #expect(r.text.contains("No alerting rules are loaded."))
        }
    }

    @Test("a receiver's last delivery on the page comes from the outbox's durable record: a new notifier on the same state directory (a restart) still shows it")
    func lastDeliveryAfterRestart() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try NotifyConfig.parse(yaml: "route: {receiver: ops}\nreceivers: [{name: ops}, {name: quiet}]\n", file: "t.yml", environment: [:])
        let now = Date()
        let delivered = now.addingTimeInterval(-90)
        try Notifier(config: config, stateDirectory: dir.path).outbox.recordDelivery(receiver: "ops", at: delivered)
        let restarted = try Notifier(config: config, stateDirectory: dir.path)
        #expect(restarted.metrics.lastDeliveries().isEmpty)
        let source = StatusPageSource(.init(targets: { [] }, rules: { nil }, notifier: { restarted }, ready: { true }, dashboardsURL: { nil }))
        defer { source.shutdown() }
        let rows = try #require(source.state(at: now).receivers)
        #expect(rows.map(\.name) == ["ops", "quiet"])
        #expect(abs((rows[0].lastDelivery ?? .distantPast).timeIntervalSince(delivered)) < 0.002 && rows[1].lastDelivery == nil)
        let html = StatusPage.render(source.state(at: now))
        #expect(html.contains("<tr class=\"receiver\"><td>ops</td><td>0</td><td>—</td><td>1m30s ago</td>"), "\(html)")
        #expect(html.contains("<tr class=\"receiver\"><td>quiet</td><td>0</td><td>—</td><td>none yet</td>"))
    }
}
