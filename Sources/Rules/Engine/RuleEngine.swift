import VigilCore

/// Evaluates rule groups against a `SeriesHistory` and keeps the alert state of every alerting
/// rule. Pure: the caller passes the time and owns the history; recording-rule outputs and
/// `ALERTS`/`ALERTS_FOR_STATE` are written into the history so later rules (and queries) see them.
public struct RuleEngine: Sendable {
    /// Alert state per rule, keyed by `RuleEngine.key(group:index:rule:)`.
    public var states: [String: AlertState] = [:]
    public var externalLabels: [String: String]
    public var externalURL: String
    public var lookbackDelta: Int64
    /// The global evaluation interval (ms): default step of subqueries without one.
    public var evaluationInterval: Int64

    public init(externalLabels: [String: String] = [:], externalURL: String = "", lookbackDelta: Int64 = PromQL.lookbackDelta,
                evaluationInterval: Int64 = 60_000) {
        self.externalLabels = externalLabels
        self.externalURL = externalURL
        self.lookbackDelta = lookbackDelta
        self.evaluationInterval = evaluationInterval
    }

    /// The outcome of one rule at one evaluation.
    public struct RuleResult: Sendable {
        public var rule: String
        /// Recording rules: the recorded samples. Alerting rules: the query result.
        public var samples: [VectorSample]
        public var error: RuleError?
        /// Alerting rules: pending, firing and recently resolved alerts after this evaluation.
        public var alerts: [Alert]
    }

    public struct GroupResult: Sendable {
        public var rules: [RuleResult]
        public var transitions: [AlertTransition]
        public var failures: Int { rules.filter { $0.error != nil }.count }
    }

    /// The state key of the rule at `index` of `group`. Like Prometheus when it copies state
    /// across a reload, a rule is identified by its group, kind, name and labels (and by its
    /// occurrence among identical ones), not by its position: inserting a rule above another
    /// keeps the other's alerts.
    public static func key(group: RuleGroup, index: Int, rule: Rule) -> String {
        let all = keys(for: group)
        return index < all.count ? all[index] : "\(group.file);\(group.name);\(identity(rule));0"
    }

    /// The state keys of every rule of `group`, in order.
    public static func keys(for group: RuleGroup) -> [String] {
        var seen: [String: Int] = [:]
        return group.rules.map { rule in
            let id = identity(rule)
            let n = seen[id, default: 0]
            seen[id] = n + 1
            return "\(group.file);\(group.name);\(id);\(n)"
        }
    }

    static func identity(_ rule: Rule) -> String {
        let (kind, labels): (String, [Label]) = switch rule {
        case .alerting(let a): ("alert", a.labels)
        case .recording(let r): ("record", r.labels)
        }
        let l = labels.map { "\($0.name)=\(PromQLString.quote($0.value))" }.sorted().joined(separator: ",")
        return "\(kind):\(rule.name){\(l)}"
    }

    /// Evaluates every rule of `group` in order at `t` (ms).
    public mutating func evaluate(_ group: RuleGroup, at t: Int64, history: inout SeriesHistory) -> GroupResult {
        var results: [RuleResult] = []
        var transitions: [AlertTransition] = []
        let queryTime = t - group.queryOffset
        let keys = Self.keys(for: group)
        for (index, rule) in group.rules.enumerated() {
            let key = keys[index]
            let queried: [VectorSample]
            do {
                queried = try query(rule.expr, at: queryTime, history: history)
            } catch {
                results.append(RuleResult(rule: rule.name, samples: [], error: RuleError(rule: rule.name, message: error.message),
                                          alerts: states[key]?.alerts ?? []))
                continue
            }
            switch rule {
            case .recording(let r):
                do {
                    let out = try Self.record(r, groupLabels: group.labels, samples: queried, limit: group.limit)
                    history.append(samples: out.map { ($0.labels, $0.value) }, at: queryTime, source: "record;" + key)
                    results.append(RuleResult(rule: r.name, samples: out, error: nil, alerts: []))
                } catch {
                    results.append(RuleResult(rule: r.name, samples: [], error: error, alerts: []))
                }
            case .alerting(let a):
                let state = states[key] ?? AlertState()
                do {
                    let step = try state.evaluate(rule: a, groupLabels: group.labels, samples: queried, at: queryTime,
                                                  limit: group.limit, externalLabels: externalLabels, externalURL: externalURL,
                                                  query: templateQuery(a, at: queryTime, history: history))
                    states[key] = step.state
                    transitions += step.transitions
                    history.append(samples: step.series, at: queryTime, source: "alerts;" + key)
                    results.append(RuleResult(rule: a.name, samples: queried, error: nil, alerts: step.state.alerts))
                } catch {
                    if error.clearsState { states[key] = AlertState() }
                    results.append(RuleResult(rule: a.name, samples: queried, error: error, alerts: states[key]?.alerts ?? []))
                }
            }
        }
        return GroupResult(rules: results, transitions: transitions)
    }

    /// Runs one query. The evaluator (and its reference to the history's storage) ends with
    /// this call, so appending the rule's output afterwards mutates the history in place
    /// instead of copying it (copy-on-write).
    private func query(_ expr: Expr, at t: Int64, history: SeriesHistory) throws(EvalError) -> [VectorSample] {
        let evaluator = Evaluator(history: history, lookbackDelta: lookbackDelta, defaultSubqueryStep: evaluationInterval)
        return try Evaluator.samples(of: evaluator.instant(expr, at: t))
    }

    /// The templates' `query` function for rules that use it: an instant query at the
    /// evaluation time over the history as it is now (nil for rules that do not, so the history
    /// is not shared and later appends stay in place).
    private func templateQuery(_ rule: AlertingRule, at t: Int64, history: SeriesHistory) -> (@Sendable (String) throws -> [VectorSample])? {
        guard (rule.labels + rule.annotations).contains(where: { $0.value.contains("query") }) else { return nil }
        let evaluator = Evaluator(history: history, lookbackDelta: lookbackDelta, defaultSubqueryStep: evaluationInterval)
        return { text in try Evaluator.samples(of: evaluator.instant(PromQL.parse(text), at: t)) }
    }

    /// A recording rule's output: `__name__` set to the record name, rule labels applied,
    /// duplicate label sets and the group limit enforced.
    static func record(_ r: RecordingRule, groupLabels: [Label], samples: [VectorSample], limit: Int) throws(RuleError) -> [VectorSample] {
        var out: [VectorSample] = []
        var seen: Set<LabelSet> = []
        let labels = AlertState.merge(groupLabels, r.labels)
        for s in samples {
            var ls = s.labels.setting("__name__", r.name)
            for l in labels { ls = ls.setting(l.name, l.value) }
            guard seen.insert(ls).inserted else {
                throw RuleError(rule: r.name, message: "vector contains metrics with the same labelset after applying rule labels")
            }
            out.append(VectorSample(labels: ls, value: s.value))
        }
        if limit > 0, out.count > limit {
            throw RuleError(rule: r.name, message: "exceeded limit of \(limit) with \(out.count) series")
        }
        return out
    }

    /// Drops state of rules that are no longer loaded (after a reload), keeping the rest.
    public mutating func retain(groups: [RuleGroup]) {
        var keys: Set<String> = []
        for g in groups {
            keys.formUnion(Self.keys(for: g))
        }
        states = states.filter { keys.contains($0.key) }
    }
}
