import Foundation
import Logging
import Synchronization
import Testing
import VigilCore
@testable import Rules

/// The rule runtime driven by a manual clock: nothing here waits for real time.
@Suite("RuleRuntime")
struct RuleRuntimeTests {
    /// A runtime under test, its clock, the store it publishes to and the alert updates it sent.
    struct Harness {
        let runtime: RuleRuntime
        let clock: ManualRuleClock
        let store: SnapshotStore
        let updates: UpdateLog
        let stateDirectory: String

        /// Returns once everything submitted to the runtime so far has run (its queue is serial,
        /// and `snapshot()` runs on it).
        func settle() { _ = runtime.snapshot() }

        /// One landed collection of `up` from `source`, stamped with the clock's time.
        func land(_ source: String = "pg", up: [(String, Double)], interval: Double = 10) {
            let samples = up.map { Sample(["job": $0.0], $0.1) }
            runtime.ingest(source: source, families: [.gauge("up", "Target up.", samples)], at: clock.now(), targetInterval: interval)
            settle()
        }

        var allUpdates: [RuleRuntime.AlertUpdate] { updates.all }

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            store.families().first { $0.name == name }?.samples
                .first { s in labels.allSatisfy { s.labels[$0.key] == $0.value } }?.value
        }

        func evaluations(_ group: String) -> Double? {
            value("vigil_rule_group_evaluations_total", ["rule_group": "r.yml;\(group)"])
        }

        func alerts(_ name: String) -> [Alert] {
            runtime.snapshot().engine.states.values.flatMap(\.alerts).filter { $0.labels["alertname"] == name }
        }
    }

    static let silent = Logger(label: "rule-runtime-test") { _ in SwiftLogNoOpLogHandler() }

    static func groups(_ yaml: String) throws -> [RuleGroup] {
        try RuleFile.parse(text: yaml, file: "r.yml").groups
    }

    static func settings(_ groups: [RuleGroup], stateDirectory: String) -> RuleRuntime.Settings {
        RuleRuntime.Settings(groups: groups, collectionInterval: 10, evaluationInterval: 10,
                             externalLabels: ["region": "eu"], externalURL: "http://vigil:9633", stateDirectory: stateDirectory)
    }

    static func freshDirectory() -> String {
        NSTemporaryDirectory() + "vigil-rule-runtime-\(UUID().uuidString)"
    }

    static func start(_ yaml: String, stateDirectory: String = freshDirectory(), clock: ManualRuleClock = ManualRuleClock()) throws -> Harness {
        let store = SnapshotStore()
        let updates = UpdateLog()
        let runtime = RuleRuntime(settings: settings(try groups(yaml), stateDirectory: stateDirectory), store: store,
                                  logger: silent, clock: clock) { update in updates.append(update) }
        return Harness(runtime: runtime, clock: clock, store: store, updates: updates, stateDirectory: stateDirectory)
    }

    static let down = """
        groups:
          - name: g
            rules:
              - alert: Down
                expr: up == 0
        """

    @Test("landings within the coalescing window share one evaluation, 200 ms after the first")
    func coalescing() throws {
        let h = try Self.start(Self.down)
        h.land("pg", up: [("pg", 1)])
        h.land("redis", up: [("redis", 1)])
        let window = try #require(h.clock.pending.only)
        #expect(abs(window.inSeconds - RuleRuntime.coalesceWindow) < 1e-6 && window.every == nil)
        h.clock.advance(by: 0.15)
        h.land("self", up: [("self", 1)])
        #expect(h.clock.pending.count == 1)
        #expect(h.clock.measured == 0)
        // (Steps avoid landing exactly on the due time: sums of decimal fractions are inexact.)
        h.clock.advance(by: 0.1)
        #expect(h.clock.measured == 1)
        #expect(h.evaluations("g") == 1)
        #expect(h.allUpdates.count == 1)
        #expect(h.clock.pending.isEmpty)

        // The next landing opens a new window.
        h.land("pg", up: [("pg", 1)])
        h.clock.advance(by: 0.2)
        #expect(h.evaluations("g") == 2)
        // A target on another interval feeds the history but does not trigger an evaluation.
        h.land("slow", up: [("slow", 0)], interval: 30)
        #expect(h.clock.pending.isEmpty)
        h.clock.advance(by: 60)
        #expect(h.evaluations("g") == 2)
        #expect(h.runtime.snapshot().history.seriesCount >= 4)
    }

    @Test("a group with its own interval runs on its timer, not on landings; stop cancels the timer")
    func ownInterval() throws {
        let h = try Self.start("""
            groups:
              - name: fast
                rules:
                  - record: fast:up
                    expr: up
              - name: slow
                interval: 30s
                rules:
                  - record: slow:up
                    expr: up
            """)
        let t0 = h.clock.now()
        #expect(h.clock.pending.map(\.every) == [30])
        h.land(up: [("pg", 1)])
        h.clock.advance(by: 0.2)
        #expect(h.evaluations("fast") == 1)
        #expect(h.evaluations("slow") == nil)
        h.clock.advance(by: 29.7)
        #expect(h.evaluations("slow") == nil)
        h.clock.advance(by: 0.2)
        #expect(h.evaluations("slow") == 1)
        #expect(h.value("vigil_rule_group_last_evaluation_timestamp_seconds", ["rule_group": "r.yml;slow"])
                == t0.addingTimeInterval(30).timeIntervalSince1970)
        h.clock.advance(by: 30)
        #expect(h.evaluations("slow") == 2)
        #expect(h.evaluations("fast") == 1)

        h.runtime.stop()
        #expect(h.clock.pending.isEmpty)
        h.clock.advance(by: 120)
        #expect(h.evaluations("slow") == 2)
    }

    @Test("after each evaluation the callback gets every firing alert and those that just resolved")
    func alertUpdates() throws {
        let h = try Self.start(Self.down)
        h.land(up: [("pg", 0), ("redis", 0)])
        h.clock.advance(by: 0.2)
        let first = try #require(h.allUpdates.last)
        #expect(Set(first.firing.compactMap { $0.labels["job"] }) == ["pg", "redis"])
        #expect(first.resolved.isEmpty)
        #expect(first.expressions == ["Down": "up == 0"])
        #expect(first.at == h.clock.now())

        h.clock.advance(by: 10)
        h.land(up: [("pg", 1), ("redis", 0)])
        h.clock.advance(by: 0.2)
        let second = try #require(h.allUpdates.last)
        #expect(second.firing.compactMap { $0.labels["job"] } == ["redis"])
        #expect(second.resolved.compactMap { $0.labels["job"] } == ["pg"])
        #expect(second.resolved.first?.resolvedAt == SeriesHistory.milliseconds(h.clock.now()))

        h.clock.advance(by: 10)
        h.land(up: [("pg", 1), ("redis", 0)])
        h.clock.advance(by: 0.2)
        let third = try #require(h.allUpdates.last)
        #expect(third.firing.compactMap { $0.labels["job"] } == ["redis"])
        #expect(third.resolved.isEmpty)
        #expect(h.allUpdates.count == 3)
    }

    @Test("recording-rule outputs are published as gauges under the runtime's source, with the engine's statistics")
    func recordedFamilies() throws {
        let h = try Self.start("""
            groups:
              - name: rec
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                  - record: broken
                    expr: up + on() group_left up
            """)
        h.land(up: [("pg", 1), ("redis", 0)])
        h.clock.advance(by: 0.2)
        let family = try #require(h.store.families().first { $0.name == "job:up:sum" })
        #expect(family.type == .gauge)
        #expect(family.help == "Recorded by rule group rec: sum by (job) (up)")
        #expect(Set(family.samples.map { "\($0.labels["job"] ?? "")=\($0.value)" }) == ["pg=1.0", "redis=0.0"])
        #expect(!h.store.families().contains { $0.name == "broken" })
        #expect(h.value("vigil_rule_evaluation_failures_total", ["rule": "broken"]) == 1)
        #expect(h.value("vigil_rule_history_series") != nil)

        // Published under one source key: replacing that source replaces all of it.
        h.store.update(source: RuleRuntime.source, families: [])
        #expect(!h.store.families().contains { $0.name == "job:up:sum" })

        // A reload without the group drops its families.
        h.runtime.reload(Self.settings(try Self.groups(Self.down), stateDirectory: h.stateDirectory))
        h.land(up: [("pg", 1)])
        h.clock.advance(by: 0.2)
        #expect(!h.store.families().contains { $0.name == "job:up:sum" })
        #expect(h.evaluations("g") == 1)
        #expect(h.evaluations("rec") == nil)
    }

    static let pendingRules = """
        groups:
          - name: g
            rules:
              - alert: Stays
                expr: up == 0
                for: 5m
              - alert: Goes
                expr: up == 0
        """

    @Test("a reload keeps the alert state of rules that stay and drops the others")
    func reloadKeepsState() throws {
        let h = try Self.start(Self.pendingRules)
        let t0 = h.clock.now()
        h.land(up: [("pg", 0)])
        h.clock.advance(by: 0.2)
        #expect(h.alerts("Stays").map(\.state) == [.pending])
        #expect(h.alerts("Goes").map(\.state) == [.firing])

        h.runtime.reload(Self.settings(try Self.groups("""
            groups:
              - name: g
                rules:
                  - alert: Stays
                    expr: up == 0
                    for: 5m
                  - alert: New
                    expr: up == 0
            """), stateDirectory: h.stateDirectory))
        h.settle()
        #expect(h.alerts("Stays").map(\.activeAt) == [SeriesHistory.milliseconds(t0.addingTimeInterval(0.2))])
        #expect(h.alerts("Goes").isEmpty)
        #expect(h.runtime.snapshot().groups.first?.rules.count == 2)

        // The kept `for` progress counts: five minutes after it became pending, it fires.
        h.clock.advance(by: 300)
        h.land(up: [("pg", 0)])
        h.clock.advance(by: 0.2)
        #expect(h.alerts("Stays").map(\.state) == [.firing])
        #expect(h.allUpdates.last?.firing.compactMap { $0.labels["alertname"] }.sorted() == ["New", "Stays"])
    }

    static let twoSlowGroups = """
        groups:
          - name: slow
            interval: 30s
            rules:
              - record: slow:up
                expr: up
          - name: other
            interval: 30s
            rules:
              - record: other:up
                expr: up
        """

    @Test("a reload keeps the timer (the phase) of a group it leaves unchanged and re-arms only the changed one")
    func reloadKeepsUnchangedGroupTimers() throws {
        let h = try Self.start(Self.twoSlowGroups)
        h.land(up: [("pg", 1)])
        h.clock.advance(by: 20)
        // Every 20 s a reload changes `other`; `slow` keeps its 30 s phase all the same.
        for n in 0..<6 {
            let text = n % 2 == 0 ? Self.twoSlowGroups.replacingOccurrences(of: "other:up\n        expr: up", with: "other:up\n        expr: up > 0")
                                  : Self.twoSlowGroups
            #expect(text != Self.twoSlowGroups || n % 2 == 1)
            h.runtime.reload(Self.settings(try Self.groups(text), stateDirectory: h.stateDirectory))
            h.settle()
            h.clock.advance(by: 20)
        }
        // 140 s since the start: `slow` ran at 30, 60, 90, 120; `other`, re-armed 20 s before
        // each of its due times, never.
        #expect(h.evaluations("slow") == 4)
        #expect(h.evaluations("other") == nil)
        #expect(h.clock.pending.map(\.every) == [30, 30])

        // An unchanged file keeps both phases.
        h.runtime.reload(Self.settings(try Self.groups(Self.twoSlowGroups), stateDirectory: h.stateDirectory))
        h.settle()
        h.clock.advance(by: 30)
        #expect(h.evaluations("slow") == 5)
        #expect(h.evaluations("other") == 1)
    }

    @Test("alert state is saved in the state directory and restored by the next runtime")
    func restoredAfterRestart() throws {
        let directory = Self.freshDirectory()
        let first = try Self.start(Self.pendingRules, stateDirectory: directory)
        let t0 = first.clock.now()
        first.land(up: [("pg", 0)])
        first.clock.advance(by: 0.2)
        first.runtime.stop()
        #expect(FileManager.default.fileExists(atPath: AlertStateStore(directory: directory).path))

        // A "restart": a new runtime, store and history; the clock goes on, and `Goes` is no longer loaded.
        first.clock.advance(by: 120)
        let second = try Self.start("""
            groups:
              - name: g
                rules:
                  - alert: Stays
                    expr: up == 0
                    for: 5m
            """, stateDirectory: directory, clock: first.clock)
        #expect(second.alerts("Stays").map(\.state) == [.pending])
        #expect(second.alerts("Stays").map(\.activeAt) == [SeriesHistory.milliseconds(t0.addingTimeInterval(0.2))])
        #expect(second.alerts("Goes").isEmpty)
        #expect(second.value("ALERTS", ["alertname": "Stays", "alertstate": "pending"]) == 1)

        second.clock.advance(by: 180)
        second.land(up: [("pg", 0)])
        second.clock.advance(by: 0.2)
        #expect(second.alerts("Stays").map(\.state) == [.firing])
        #expect(second.allUpdates.last?.firing.count == 1)
    }

    @Test("an evaluation that overruns its interval counts the iterations it missed")
    func missedIterations() throws {
        let h = try Self.start("""
            groups:
              - name: slow
                interval: 30s
                rules:
                  - record: slow:up
                    expr: up
            """)
        h.land(up: [("pg", 1)])
        h.clock.workSeconds = 20
        h.clock.advance(by: 30)
        let labels = ["rule_group": "r.yml;slow"]
        #expect(h.value("vigil_rule_group_iterations_missed_total", labels) == 0)
        #expect(h.value("vigil_rule_group_last_duration_seconds", labels) == 20)
        h.clock.workSeconds = 70
        h.clock.advance(by: 30)
        #expect(h.value("vigil_rule_group_iterations_missed_total", labels) == 2)
        #expect(h.value("vigil_rule_group_last_duration_seconds", labels) == 70)
        #expect(h.runtime.snapshot().groups.first?.evaluationSeconds == 70)
        #expect(h.evaluations("slow") == 2)
    }

    @Test("view(): the alerts and group statuses of the last evaluation, a generation that grows with each publication, the same content as snapshot()")
    func publishedView() throws {
        let h = try Self.start(Self.down)
        let loaded = h.runtime.view()
        #expect(loaded.generation >= 1 && loaded.alerts.isEmpty)
        #expect(loaded.groups.map(\.group.name) == ["g"] && loaded.groups.first?.lastEvaluation == nil)
        h.land(up: [("pg", 0)])
        // Landing alone publishes nothing: the evaluation comes after the coalescing window.
        #expect(h.runtime.view().generation == loaded.generation)
        h.clock.advance(by: 0.25)
        let evaluated = h.runtime.view()
        #expect(evaluated.generation == loaded.generation + 1)
        #expect(evaluated.alerts.map { $0.labels["alertname"] } == ["Down"] && evaluated.alerts.first?.state == .firing)
        #expect(evaluated.groups.first?.lastEvaluation != nil)
        let snapshot = h.runtime.snapshot()
        #expect(evaluated.alerts.map(\.labels) == snapshot.engine.states.values.flatMap(\.alerts).map(\.labels))
        #expect(evaluated.groups.map(\.lastEvaluation) == snapshot.groups.map(\.lastEvaluation))
        h.land(up: [("pg", 1)])
        h.clock.advance(by: 0.25)
        let resolved = h.runtime.view()
        #expect(resolved.generation == evaluated.generation + 1 && resolved.alerts.allSatisfy { $0.state != .firing })
    }
}

/// The alert updates a runtime sent, in order.
final class UpdateLog: Sendable {
    private let updates = Mutex<[RuleRuntime.AlertUpdate]>([])
    var all: [RuleRuntime.AlertUpdate] { updates.withLock { $0 } }
    func append(_ update: RuleRuntime.AlertUpdate) { updates.withLock { $0.append(update) } }
}

extension Array {
    /// The single element, or nil when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
