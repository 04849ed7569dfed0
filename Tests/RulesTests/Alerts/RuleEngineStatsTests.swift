import Testing
import VigilCore
@testable import Rules

@Suite("Rule engine self-metrics")
struct RuleEngineStatsTests {
    @Test("group statistics, failures per rule, ALERTS and history families")
    func families() throws {
        let file = try RuleFile.parse(text: """
            groups:
              - name: g
                rules:
                  - alert: Down
                    expr: up == 0
                    for: 1m
                  - record: bad
                    expr: label_replace(up, "i", "", "i", ".*")
            """, file: "f.yml")
        let group = try #require(file.groups.first)
        var history = SeriesHistory()
        history.append(["__name__": "up", "i": "a"], t: 0, value: 0)
        history.append(["__name__": "up", "i": "b"], t: 0, value: 0)
        var engine = RuleEngine()
        let result = engine.evaluate(group, at: 1000, history: &history)
        var stats = RuleEngineStats()
        stats.record(result, group: group, at: 1000, duration: 0.25)
        stats.recordMissed(group)
        let fams = stats.families(groups: [group])
        let failures = try #require(fams.first { $0.name == "vigil_rule_evaluation_failures_total" })
        #expect(failures.samples.first { $0.labels["rule"] == "Down" }?.value == 0)
        #expect(failures.samples.first { $0.labels["rule"] == "bad" }?.value == 1)
        #expect(fams.first { $0.name == "vigil_rule_group_last_duration_seconds" }?.samples.first?.value == 0.25)
        #expect(fams.first { $0.name == "vigil_rule_group_iterations_missed_total" }?.samples.first?.value == 1)
        let alerts = RuleEngineStats.alertFamilies(engine)
        let pending = try #require(alerts.first { $0.name == "ALERTS" })
        #expect(pending.samples.count == 2)
        #expect(pending.samples.allSatisfy { $0.labels["alertstate"] == "pending" && $0.labels["alertname"] == "Down" })
        let mem = RuleEngineStats.historyFamilies(history)
        #expect((mem.first { $0.name == "vigil_rule_history_memory_bytes" }?.samples.first?.value ?? 0) > 0)
    }
}
