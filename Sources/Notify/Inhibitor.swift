public import Foundation

/// Inhibition as Alertmanager's inhibitor decides it. Pure.
public struct Inhibitor: Sendable {
    public let rules: [InhibitRule]

    public init(rules: [InhibitRule]) { self.rules = rules }

    /// Whether `target` is muted by a firing alert of `alerts` (the current alerts, any group).
    /// An alert matching both sides of a rule is not inhibited by alerts that also match both.
    public func isInhibited(_ target: Alert, by alerts: [Alert], at now: Date) -> Bool {
        let labels = target.labels
        for rule in rules where Matcher.all(rule.targetMatchers, match: labels) {
            let twoSided = Matcher.all(rule.sourceMatchers, match: labels)
            for source in alerts {
                guard source.status(at: now) == .firing, Matcher.all(rule.sourceMatchers, match: source.labels) else { continue }
                guard rule.equal.allSatisfy({ (source.labels[$0] ?? "") == (labels[$0] ?? "") }) else { continue }
                if twoSided, Matcher.all(rule.targetMatchers, match: source.labels) { continue }
                return true
            }
        }
        return false
    }
}
