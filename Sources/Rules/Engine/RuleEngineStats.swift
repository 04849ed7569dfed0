public import VigilCore

/// Self-metrics of rule evaluation: per group the last evaluation time and duration, how many
/// evaluations ran and how many iterations were missed; per rule the failures. Pure: the
/// caller measures durations and passes times. Also renders `ALERTS`/`ALERTS_FOR_STATE` and
/// the history's size for `/metrics`.
public struct RuleEngineStats: Sendable {
    struct GroupStats: Sendable {
        var lastEvaluation: Int64 = 0
        var lastDuration: Double = 0
        var evaluations: Double = 0
        var missed: Double = 0
        var failures: [String: Double] = [:]
    }

    private var groups: [String: GroupStats] = [:]

    public init() {}

    private static func key(_ g: RuleGroup) -> String { "\(g.file);\(g.name)" }

    /// Records one evaluation of `group` at `at` (ms) that took `duration` seconds.
    public mutating func record(_ result: RuleEngine.GroupResult, group: RuleGroup, at: Int64, duration: Double) {
        var s = groups[Self.key(group)] ?? GroupStats()
        s.lastEvaluation = at
        s.lastDuration = duration
        s.evaluations += 1
        for r in result.rules where r.error != nil { s.failures[r.rule, default: 0] += 1 }
        for r in group.rules where s.failures[r.name] == nil { s.failures[r.name] = 0 }
        groups[Self.key(group)] = s
    }

    /// Records `count` iterations of `group` skipped because an evaluation overran its interval.
    public mutating func recordMissed(_ group: RuleGroup, count: Int = 1) {
        groups[Self.key(group), default: GroupStats()].missed += Double(count)
    }

    /// Drops statistics of groups no longer loaded.
    public mutating func retain(groups loaded: [RuleGroup]) {
        let keys = Set(loaded.map(Self.key))
        groups = groups.filter { keys.contains($0.key) }
    }

    public func families(groups loaded: [RuleGroup]) -> [MetricFamily] {
        var duration: [Sample] = [], last: [Sample] = [], evals: [Sample] = [], missed: [Sample] = [], failures: [Sample] = []
        for g in loaded {
            guard let s = groups[Self.key(g)] else { continue }
            let labels: Labels = ["rule_group": "\(g.file);\(g.name)"]
            duration.append(Sample(labels, s.lastDuration))
            last.append(Sample(labels, Double(s.lastEvaluation) / 1000))
            evals.append(Sample(labels, s.evaluations))
            missed.append(Sample(labels, s.missed))
            for rule in s.failures.keys.sorted() {
                failures.append(Sample(labels.appending("rule", rule), s.failures[rule] ?? 0))
            }
        }
        return [
            .gauge("vigil_rule_group_last_duration_seconds", "Duration of the last evaluation of the rule group.", duration),
            .gauge("vigil_rule_group_last_evaluation_timestamp_seconds", "Time of the last evaluation of the rule group.", last),
            .counter("vigil_rule_group_evaluations_total", "Evaluations of the rule group.", evals),
            .counter("vigil_rule_group_iterations_missed_total", "Rule group evaluations skipped because the previous one overran.", missed),
            .counter("vigil_rule_evaluation_failures_total", "Failed evaluations per rule.", failures),
        ]
    }

    /// `ALERTS{alertname, alertstate, …}` = 1 and `ALERTS_FOR_STATE{…}` = activeAt (seconds)
    /// for every pending and firing alert, as Prometheus exposes them.
    public static func alertFamilies(_ engine: RuleEngine) -> [MetricFamily] {
        var alerts: [Sample] = [], forState: [Sample] = []
        for key in engine.states.keys.sorted() {
            for a in engine.states[key]?.alerts ?? [] where a.state != .inactive {
                let labels = a.labels.withoutName
                alerts.append(Sample(Labels(labels.pairs + [Label("alertstate", a.state.rawValue)]), 1))
                forState.append(Sample(labels, Double(a.activeAt / 1000)))
            }
        }
        return [
            .gauge("ALERTS", "Pending and firing alerts.", alerts),
            .gauge("ALERTS_FOR_STATE", "Start of the pending phase of each active alert (seconds since the epoch).", forState),
        ]
    }

    /// The history's self-metrics.
    public static func historyFamilies(_ history: SeriesHistory) -> [MetricFamily] {
        [
            .gauge("vigil_rule_history_memory_bytes", "Approximate memory held by the series history.", value: Double(history.memoryBytes)),
            .gauge("vigil_rule_history_series", "Series held in the series history.", value: Double(history.seriesCount)),
            .gauge("vigil_rule_history_samples", "Samples held in the series history.", value: Double(history.sampleCount)),
            .counter("vigil_rule_history_out_of_order_samples_total", "Samples dropped because they were not newer than their series' last sample.",
                     [Sample(Labels(), Double(history.outOfOrderSamples))]),
        ]
    }
}
