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

    @Test("apply keeps the runner of an unchanged target (its collector, status and counting), restarts a changed one with its new collector, stops a removed one and starts a new one")
    func applyKeepsUnchanged() {
        let store = SnapshotStore()
        let kept = ScriptedCollector(), changed = ScriptedCollector(), removed = ScriptedCollector()
        func spec(_ name: String, _ c: ScriptedCollector, interval: Double = 0.05) -> TargetSpec {
            TargetSpec(name: name, interval: interval, timeout: 0.04, collector: c)
        }
        let s = Scheduler(targets: [spec("kept", kept), spec("changed", changed), spec("removed", removed)], store: store, logger: logger)
        s.start()
        defer { s.stop() }
        #expect(waitFor(5) { kept.count >= 2 && changed.count >= 2 && removed.count >= 2 })
        #expect(waitFor(5) { s.statuses().allSatisfy { $0.up == true } })

        let unused = ScriptedCollector(), replacement = ScriptedCollector(), added = ScriptedCollector()
        let (plan, inTime) = s.apply([spec("added", added), spec("kept", unused), spec("changed", replacement, interval: 0.1)])
        #expect(inTime)
        #expect(plan == TargetPlan(kept: ["scripted/kept"], restarted: ["scripted/changed"], added: ["scripted/added"],
                                   removed: ["scripted/removed"]))
        store.retain(sources: s.sourceKeys)
        // The kept target's last status is there at once; the new ones wait for their first cycle.
        #expect(s.statuses().first { $0.name == "kept" }?.up == true)
        #expect(s.statuses().map(\.name) == ["added", "kept", "changed"])
        let keptBefore = kept.count, changedStopped = changed.count, removedStopped = removed.count
        #expect(waitFor(5) { kept.count >= keptBefore + 3 && replacement.count >= 2 && added.count >= 2 })
        #expect(unused.count == 0)
        #expect(changed.count == changedStopped && removed.count == removedStopped)
        #expect(!text(store).contains("target=\"removed\""))
        #expect(text(store).contains("vigil_collector_success{collector=\"scripted\",target=\"added\"} 1"))
    }

    @Test("a target removed while its cycle is inside a blocking call publishes nothing when that call returns")
    func removedMidCyclePublishesNothing() {
        let store = SnapshotStore()
        let blocking = BlockingCollector()
        let s = Scheduler(targets: [TargetSpec(name: "slow", interval: 60, timeout: 30, collector: blocking)], store: store, logger: logger)
        s.start()
        defer { s.stop() }
        #expect(blocking.entered.wait(timeout: .now() + 10) == .success)
        let (plan, inTime) = s.apply([], stopTimeout: 0.01)
        #expect(plan.removed == ["blocking/slow"] && !inTime)
        store.retain(sources: s.sourceKeys)
        blocking.release.signal()
        // close() runs on the runner's thread after the cycle would have published.
        #expect(blocking.closed.wait(timeout: .now() + 10) == .success)
        #expect(!text(store).contains("blocking_value") && !text(store).contains("target=\"slow\""), "\(text(store))")
    }
}

/// A collector whose first cycle blocks until the test releases it.
final class BlockingCollector: Collector {
    let kind = "blocking"
    let upMetric: String? = "blocking_up"
    let entered = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let closed = DispatchSemaphore(value: 0)

    func collect(_ context: CollectContext) throws -> [MetricFamily] {
        entered.signal()
        _ = release.wait(timeout: .now() + 30)
        return [.gauge("blocking_value", "V.", value: 1)]
    }

    func close() { closed.signal() }
}

/// A collector that sets up a connection ahead of its cycles, taking `connectSeconds` when it
/// has none; `drop()` loses the connection.
final class ConnectingCollector: Collector {
    let kind = "connecting"
    let upMetric: String? = "connecting_up"
    let connectTimeout: Double
    private let connectSeconds: Double
    private let state = Mutex((connected: false, connects: 0, cyclesWithoutConnection: 0))

    init(connectSeconds: Double, connectTimeout: Double) {
        self.connectSeconds = connectSeconds
        self.connectTimeout = connectTimeout
    }

    var connects: Int { state.withLock { $0.connects } }
    var cyclesWithoutConnection: Int { state.withLock { $0.cyclesWithoutConnection } }
    func drop() { state.withLock { $0.connected = false } }

    func connect(deadline: ContinuousClock.Instant) throws {
        guard !state.withLock({ $0.connected }) else { return }
        let finish = ContinuousClock.now + .seconds(connectSeconds)
        // Honours its deadline, as libpq and hiredis calls do.
        if finish > deadline {
            Thread.sleep(until: Date().addingTimeInterval(Self.seconds(deadline - ContinuousClock.now)))
            throw CollectorError("connect timed out")
        }
        Thread.sleep(forTimeInterval: connectSeconds)
        state.withLock { $0.connected = true; $0.connects += 1 }
    }

    func collect(_ context: CollectContext) throws -> [MetricFamily] {
        let connected = state.withLock { s -> Bool in
            if !s.connected { s.cyclesWithoutConnection += 1 }
            return s.connected
        }
        guard connected else { throw CollectorError("not connected") }
        return [.gauge("connecting_value", "V.", value: 7)]
    }

    private static func seconds(_ d: Duration) -> Double { max(0, d.seconds) }
}

@Suite("Scheduler connection set-up", .serialized)
struct SchedulerConnectTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    private func text(_ store: SnapshotStore) -> String { String(decoding: store.body(.text, gzip: false), as: UTF8.self) }

    @Test("a first cycle whose connection takes longer than the cycle timeout, but within connect_timeout, reads the server as up")
    func slowFirstConnectionIsUp() {
        let store = SnapshotStore()
        // Connecting takes 0.8 s; a cycle may take 0.2 s; connecting may take 3 s.
        let c = ConnectingCollector(connectSeconds: 0.8, connectTimeout: 3)
        let s = Scheduler(targets: [TargetSpec(name: "t", interval: 10, timeout: 0.2, collector: c)], store: store, logger: logger)
        s.start()
        defer { s.stop() }
        let end = Date().addingTimeInterval(10)
        while !store.isReady, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        #expect(store.isReady)
        // The first published state is the healthy one: nothing read it as down meanwhile.
        #expect(text(store).contains("connecting_up 1"), "\(text(store))")
        #expect(text(store).contains("connecting_value 7"))
        #expect(c.connects == 1)
    }

    @Test("a connection that does not come up within connect_timeout reads the target as down, and the cycle is not run")
    func connectTimeoutBoundsTheSetUp() {
        let store = SnapshotStore()
        let c = ConnectingCollector(connectSeconds: 5, connectTimeout: 0.3)
        let started = Date()
        let s = Scheduler(targets: [TargetSpec(name: "t", interval: 10, timeout: 0.2, collector: c)], store: store, logger: logger)
        s.start()
        defer { s.stop() }
        let end = Date().addingTimeInterval(10)
        while !store.isReady, Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        #expect(store.isReady)
        #expect(text(store).contains("connecting_up 0"))
        // Bounded by connect_timeout, not by the 5 s the connection would have taken.
        #expect(Date().timeIntervalSince(started) < 4)
        #expect(c.cyclesWithoutConnection == 0)
    }

    @Test("a connection lost between cycles is set up again before the next cycle, within its own budget")
    func reconnectsAheadOfTheCycle() {
        let store = SnapshotStore()
        let c = ConnectingCollector(connectSeconds: 0.4, connectTimeout: 3)
        let s = Scheduler(targets: [TargetSpec(name: "t", interval: 0.5, timeout: 0.2, collector: c)], store: store, logger: logger)
        s.start()
        defer { s.stop() }
        let first = Date().addingTimeInterval(10)
        while c.connects < 1, Date() < first { Thread.sleep(forTimeInterval: 0.01) }
        c.drop()
        let second = Date().addingTimeInterval(10)
        while c.connects < 2, Date() < second { Thread.sleep(forTimeInterval: 0.01) }
        #expect(c.connects == 2)
        #expect(c.cyclesWithoutConnection == 0)
        let settle = Date().addingTimeInterval(5)
        while !text(store).contains("connecting_up 1"), Date() < settle { Thread.sleep(forTimeInterval: 0.01) }
        #expect(text(store).contains("connecting_up 1"))
    }
}
