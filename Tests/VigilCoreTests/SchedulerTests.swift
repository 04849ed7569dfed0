import Foundation
import Logging
import Synchronization
import Testing
@testable import VigilCore

/// A collector whose behaviour the test sets per cycle.
final class ScriptedCollector: Collector {
    let kind = "scripted"
    let upMetric: String? = "scripted_up"
    private let behaviour: Mutex<(sleep: Double, fail: Bool)>
    private let cycles = Mutex(0)

    init(sleep: Double = 0, fail: Bool = false) { behaviour = Mutex((sleep, fail)) }

    func set(sleep: Double, fail: Bool) { behaviour.withLock { $0 = (sleep, fail) } }
    var count: Int { cycles.withLock { $0 } }

    func collect(_ context: CollectContext) throws -> [MetricFamily] {
        let b = behaviour.withLock { $0 }
        cycles.withLock { $0 += 1 }
        if b.sleep > 0 { Thread.sleep(forTimeInterval: b.sleep) }
        if b.fail { throw CollectorError("scripted failure") }
        return [.gauge("scripted_value", "V.", value: 42)]
    }
}

@Suite("Scheduler", .serialized)
struct SchedulerTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    private func text(_ store: SnapshotStore) -> String { String(decoding: store.body(.text, gzip: false), as: UTF8.self) }

    private func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }

    @Test("a successful cycle publishes the families, up 1, the server label and self-metrics, and marks the store ready")
    func success() {
        let store = SnapshotStore()
        let s = Scheduler(targets: [TargetSpec(name: "t1", interval: 10, timeout: 5, collector: ScriptedCollector(),
                                               extraLabels: [Label("server", "t1")])],
                          store: store, logger: logger)
        #expect(!store.isReady)
        s.start()
        defer { s.stop() }
        #expect(waitFor(5) { store.isReady })
        let t = text(store)
        #expect(t.contains("scripted_value{server=\"t1\"} 42"))
        #expect(t.contains("scripted_up{server=\"t1\"} 1"))
        #expect(t.contains("vigil_collector_success{collector=\"scripted\",target=\"t1\"} 1"))
        #expect(t.contains("vigil_collector_last_success_timestamp_seconds{collector=\"scripted\",target=\"t1\"}"))
    }

    @Test("a failing target drops its old values and reads up 0 on the next cycle")
    func failureDropsValues() {
        let store = SnapshotStore()
        let c = ScriptedCollector()
        let s = Scheduler(targets: [TargetSpec(name: "t", interval: 0.2, timeout: 0.1, collector: c)], store: store, logger: logger)
        s.start()
        defer { s.stop() }
        #expect(waitFor(5) { text(store).contains("scripted_up 1") })
        c.set(sleep: 0, fail: true)
        #expect(waitFor(5) { text(store).contains("scripted_up 0") })
        #expect(!text(store).contains("scripted_value"))
    }

    @Test("a cycle that overruns its timeout is published down at the timeout, and missed ticks are skipped and counted")
    func timeoutAndSkips() {
        let store = SnapshotStore()
        let c = ScriptedCollector(sleep: 1.2)
        let s = Scheduler(targets: [TargetSpec(name: "slow", interval: 0.3, timeout: 0.2, collector: c)], store: store, logger: logger)
        let started = Date()
        s.start()
        defer { s.stop() }
        // Down well before the slow cycle ends.
        #expect(waitFor(1.0) { text(store).contains("scripted_up 0") })
        #expect(Date().timeIntervalSince(started) < 1.1)
        // After the cycle, the skipped ticks are counted and cycles never overlapped.
        #expect(waitFor(5) { text(store).contains("vigil_collector_skipped_total{collector=\"scripted\",target=\"slow\"} 3") || text(store).contains("vigil_collector_skipped_total{collector=\"scripted\",target=\"slow\"} 4") })
        #expect(c.count <= 2)
    }

    @Test("a stuck target does not delay another target")
    func isolation() {
        let store = SnapshotStore()
        let stuck = ScriptedCollector(sleep: 3)
        let fast = ScriptedCollector()
        let s = Scheduler(targets: [TargetSpec(name: "stuck", interval: 5, timeout: 4, collector: stuck),
                                    TargetSpec(name: "fast", interval: 0.1, timeout: 0.1, collector: fast)],
                          store: store, logger: logger)
        s.start()
        defer { s.stop(timeout: 0.1) }
        #expect(waitFor(1.5) { fast.count >= 5 })
    }
}
