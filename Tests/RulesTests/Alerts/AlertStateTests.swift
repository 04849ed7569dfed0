import Foundation
import Testing
import VigilCore
@testable import Rules

@Suite("Alert state machine")
struct AlertStateTests {
    static func rule(for hold: Int64 = 0, keep: Int64 = 0) throws -> AlertingRule {
        AlertingRule(name: "Down", expr: try PromQL.parse("up == 0"), exprText: "up == 0", holdDuration: hold,
                     keepFiringFor: keep, labels: [Label("severity", "page")],
                     annotations: [Label("summary", "{{ $labels.instance }} is down ({{ $value }})")])
    }

    static func sample(_ instance: String, _ v: Double = 0) -> VectorSample {
        VectorSample(labels: ["__name__": "up", "instance": instance], value: v)
    }

    @Test("inactive → pending → firing after `for`, counted on evaluation timestamps; then resolved")
    func lifecycle() throws {
        let r = try Self.rule(for: 120_000)
        var s = AlertState()
        var step = try s.evaluate(rule: r, samples: [Self.sample("a")], at: 0)
        #expect(step.state.alerts.map(\.state) == [.pending])
        #expect(step.transitions.map(\.to) == [.pending])
        let a = try #require(step.state.alerts.first)
        #expect(a.labels == ["alertname": "Down", "instance": "a", "severity": "page"])
        #expect(a.annotations["summary"] == "a is down (0)")
        s = step.state
        step = try s.evaluate(rule: r, samples: [Self.sample("a")], at: 60_000)
        #expect(step.state.alerts.map(\.state) == [.pending])
        #expect(step.transitions.isEmpty)
        s = step.state
        step = try s.evaluate(rule: r, samples: [Self.sample("a")], at: 120_000)
        #expect(step.state.alerts.map(\.state) == [.firing])
        #expect(step.transitions.map { "\($0.from)->\($0.to)" } == ["pending->firing"])
        #expect(step.series.map { $0.0.metricName } == ["ALERTS", "ALERTS_FOR_STATE"])
        s = step.state
        step = try s.evaluate(rule: r, samples: [], at: 180_000)
        #expect(step.state.alerts.map(\.state) == [.inactive])
        #expect(step.state.alerts.first?.resolvedAt == 180_000)
        #expect(step.transitions.map { "\($0.from)->\($0.to)" } == ["firing->inactive"])
        #expect(step.series.isEmpty)
        // Kept 15 minutes for re-sending, then dropped.
        s = step.state
        step = try s.evaluate(rule: r, samples: [], at: 180_000 + 15 * 60_000)
        #expect(step.state.alerts.count == 1)
        s = step.state
        step = try s.evaluate(rule: r, samples: [], at: 180_000 + 15 * 60_000 + 1)
        #expect(step.state.alerts.isEmpty)
    }

    @Test("a pending alert whose condition clears is dropped, and restarts its `for` when it returns")
    func pendingCleared() throws {
        let r = try Self.rule(for: 120_000)
        var s = try AlertState().evaluate(rule: r, samples: [Self.sample("a")], at: 0).state
        let step = try s.evaluate(rule: r, samples: [], at: 60_000)
        #expect(step.state.alerts.isEmpty)
        #expect(step.transitions.map { "\($0.from)->\($0.to)" } == ["pending->inactive"])
        s = step.state
        s = try s.evaluate(rule: r, samples: [Self.sample("a")], at: 120_000).state
        #expect(s.alerts.first?.activeAt == 120_000)
        s = try s.evaluate(rule: r, samples: [Self.sample("a")], at: 180_000).state
        #expect(s.alerts.first?.state == .pending)
    }

    @Test("keep_firing_for keeps a firing alert after its condition clears, then resolves it")
    func keepFiring() throws {
        let r = try Self.rule(keep: 120_000)
        var s = try AlertState().evaluate(rule: r, samples: [Self.sample("a")], at: 0).state
        #expect(s.alerts.first?.state == .firing)
        s = try s.evaluate(rule: r, samples: [], at: 60_000).state
        #expect(s.alerts.first?.state == .firing)
        #expect(s.alerts.first?.keepFiringSince == 60_000)
        s = try s.evaluate(rule: r, samples: [], at: 120_000).state
        #expect(s.alerts.first?.state == .firing)
        s = try s.evaluate(rule: r, samples: [], at: 180_000).state
        #expect(s.alerts.first?.state == .inactive)
    }

    @Test("series that collapse to the same labels after dropping __name__ are an error")
    func sameLabelset() throws {
        let r = try Self.rule()
        let samples = [VectorSample(labels: ["__name__": "a", "i": "1"], value: 0),
                       VectorSample(labels: ["__name__": "b", "i": "1"], value: 0)]
        #expect(throws: RuleError.self) { try AlertState().evaluate(rule: r, samples: samples, at: 0) }
    }

    @Test("limit: more active alerts than the group's limit is an error that clears the rule's alerts")
    func limit() throws {
        let r = try Self.rule()
        do {
            _ = try AlertState().evaluate(rule: r, samples: [Self.sample("a"), Self.sample("b")], at: 0, limit: 1)
            Issue.record("no error")
        } catch {
            #expect(error.message == "exceeded limit of 1 with 2 alerts")
            #expect(error.clearsState)
        }
    }

    @Test("a restart in the middle of a `for` window keeps its progress")
    func restartKeepsProgress() throws {
        let dir = NSTemporaryDirectory() + "vigil-alert-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try RuleFile.parse(text: """
            groups:
              - name: g
                rules:
                  - alert: Down
                    expr: up == 0
                    for: 5m
            """, file: "inline.yml")
        let group = try #require(file.groups.first)
        var history = SeriesHistory(retention: 3_600_000)
        let down: LabelSet = ["__name__": "up", "instance": "a"]
        for i in 0...10 { history.append(down, t: Int64(i) * 60_000, value: 0) }
        var engine = RuleEngine()
        for i in 0...2 { _ = engine.evaluate(group, at: Int64(i) * 60_000, history: &history) }
        #expect(engine.states.values.first?.alerts.first?.state == .pending)
        let store = AlertStateStore(directory: dir)
        try store.save(engine.states, now: 120_000)

        // "Restart": a fresh engine restored from disk.
        var restored = RuleEngine()
        restored.states = try store.load().states
        var transitions: [AlertTransition] = []
        for i in 3...5 { transitions += restored.evaluate(group, at: Int64(i) * 60_000, history: &history).transitions }
        #expect(transitions.map { "\($0.from)->\($0.to)@\($0.at)" } == ["pending->firing@300000"])
        #expect(restored.states.values.first?.alerts.first?.activeAt == 0)
    }

    @Test("the state file is written atomically and round-trips NaN values")
    func storeRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "vigil-alert-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let alert = Alert(labels: ["alertname": "X"], annotations: ["a": "b"], state: .firing, value: .nan,
                          activeAt: 1, firedAt: 2, keepFiringSince: 3)
        let store = AlertStateStore(directory: dir)
        try store.save(["k": AlertState(active: [alert.labels: alert])], now: 5)
        let (states, savedAt) = try store.load()
        #expect(savedAt == 5)
        let back = try #require(states["k"]?.alerts.first)
        #expect(back.value.isNaN && back.keepFiringSince == 3 && back.state == .firing && back.labels == alert.labels)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }
        #expect(leftovers.isEmpty)
        try "{".write(toFile: store.path, atomically: true, encoding: .utf8)
        #expect(throws: AlertStateStore.StoreError.self) { try store.load() }
    }
}
