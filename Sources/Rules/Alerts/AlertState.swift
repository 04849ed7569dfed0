public import VigilCore

/// The active alerts of one alerting rule and the pure state machine that advances them:
/// inactive → pending → firing, `for` counted on evaluation timestamps, `keep_firing_for`,
/// resolved alerts kept 15 minutes (for re-sending), the "same labelset" error and `limit`.
/// Mirrors Prometheus' rules/alerting.go.
public struct AlertState: Sendable, Hashable, Codable {
    /// Keyed by the alert's label set.
    public private(set) var active: [LabelSet: Alert] = [:]

    /// How long a resolved alert is kept (Prometheus' resolvedRetention).
    public static let resolvedRetention: Int64 = 15 * 60 * 1000

    public init(active: [LabelSet: Alert] = [:]) { self.active = active }

    public var alerts: [Alert] { active.values.sorted { $0.labels < $1.labels } }

    enum CodingKeys: String, CodingKey { case alerts }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let list = try c.decode([Alert].self, forKey: .alerts)
        active = Dictionary(list.map { ($0.labels, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(alerts, forKey: .alerts)
    }

    /// The result of one evaluation.
    public struct Step: Sendable {
        public var state: AlertState
        public var transitions: [AlertTransition]
        /// `ALERTS{alertname, alertstate, …}` and `ALERTS_FOR_STATE` samples for pending and
        /// firing alerts.
        public var series: [(LabelSet, Double)]
    }

    /// Advances the state for the rule's query result `samples` at time `t` (ms).
    /// `externalLabels` feed `$externalLabels` in templates; `query` serves the templates'
    /// `query` function.
    public func evaluate(rule: AlertingRule, groupLabels: [Label] = [], samples: [VectorSample], at t: Int64,
                         limit: Int = 0, externalLabels: [String: String] = [:], externalURL: String = "",
                         query: (@Sendable (String) throws -> [VectorSample])? = nil) throws(RuleError) -> Step {
        var next = active
        var seen: Set<LabelSet> = []
        var transitions: [AlertTransition] = []
        let ruleLabels = Self.merge(groupLabels, rule.labels)
        // Templates are parsed once per evaluation, not once per alert.
        let labelTemplates = ruleLabels.map { CompiledText($0.name, $0.value) }
        let annotationTemplates = rule.annotations.map { CompiledText($0.name, $0.value) }
        let needsData = (labelTemplates + annotationTemplates).contains { $0.template != nil }
        for s in samples {
            var data: Template.Data?
            if needsData {
                // `$labels` is the sample's full label set, `__name__` included (as in Prometheus).
                let sampleLabels = Dictionary(s.labels.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                data = Template.Data(labels: sampleLabels, externalLabels: externalLabels, externalURL: externalURL, value: s.value,
                                     query: query)
            }
            var labels = s.labels.droppingName
            for l in labelTemplates { labels = labels.setting(l.name, l.expand(data)) }
            labels = labels.setting("alertname", rule.name)
            var annotations: [String: String] = [:]
            for a in annotationTemplates { annotations[a.name] = a.expand(data) }
            guard seen.insert(labels).inserted else {
                throw RuleError(rule: rule.name, message: "vector contains metrics with the same labelset after applying alert labels")
            }
            if var existing = next[labels], existing.state != .inactive {
                existing.value = s.value
                existing.annotations = annotations
                next[labels] = existing
                continue
            }
            next[labels] = Alert(labels: labels, annotations: annotations, state: .pending, value: s.value, activeAt: t)
        }
        var activeCount = 0
        var series: [(LabelSet, Double)] = []
        for key in Array(next.keys) {
            guard var a = next[key] else { continue }
            let before = active[key]?.state ?? .inactive
            if !seen.contains(key) {
                var keepFiring = false
                if a.state == .firing, rule.keepFiringFor > 0 {
                    if a.keepFiringSince == nil { a.keepFiringSince = t }
                    if let since = a.keepFiringSince, t - since < rule.keepFiringFor { keepFiring = true }
                }
                if a.state == .pending || (a.resolvedAt.map { t - $0 > Self.resolvedRetention } ?? false) {
                    next[key] = nil
                    if a.state == .pending {
                        var gone = a
                        gone.state = .inactive
                        gone.resolvedAt = t
                        transitions.append(AlertTransition(rule: rule.name, from: .pending, to: .inactive, at: t, alert: gone))
                    }
                    continue
                }
                if a.state != .inactive, !keepFiring {
                    a.state = .inactive
                    a.resolvedAt = t
                    next[key] = a
                    transitions.append(AlertTransition(rule: rule.name, from: before, to: .inactive, at: t, alert: a))
                }
                if !keepFiring {
                    next[key] = a
                    continue
                }
            } else {
                a.keepFiringSince = nil
            }
            activeCount += 1
            if a.state == .pending, t - a.activeAt >= rule.holdDuration {
                a.state = .firing
                a.firedAt = t
            }
            next[key] = a
            if a.state != before {
                transitions.append(AlertTransition(rule: rule.name, from: before, to: a.state, at: t, alert: a))
            }
            series.append((a.labels.setting("__name__", "ALERTS").setting("alertstate", a.state.rawValue), 1))
            series.append((a.labels.setting("__name__", "ALERTS_FOR_STATE"), Double(a.activeAt / 1000)))
        }
        if limit > 0, activeCount > limit {
            throw RuleError(rule: rule.name, message: "exceeded limit of \(limit) with \(activeCount) alerts", clearsState: true)
        }
        return Step(state: AlertState(active: next), transitions: transitions.sorted { $0.alert.labels < $1.alert.labels }, series: series)
    }

    /// Rule labels override group labels of the same name.
    static func merge(_ group: [Label], _ rule: [Label]) -> [Label] {
        let names = Set(rule.map(\.name))
        return group.filter { !names.contains($0.name) } + rule
    }

    /// A label or annotation value with its parsed template (nil for plain text).
    struct CompiledText {
        let name: String
        let text: String
        let template: Template?
        let parseError: String?

        init(_ name: String, _ text: String) {
            self.name = name
            self.text = text
            if text.contains("{{") {
                do {
                    template = try Template(text)
                    parseError = nil
                } catch {
                    template = nil
                    parseError = error.message
                }
            } else {
                template = nil
                parseError = nil
            }
        }

        /// Prometheus logs a failed expansion and uses the error text as the value; so do we.
        func expand(_ data: Template.Data?) -> String {
            if let parseError { return "<error expanding template: \(parseError)>" }
            guard let template, let data else { return text }
            do {
                return try template.execute(data)
            } catch {
                return "<error expanding template: \(error.message)>"
            }
        }
    }
}
