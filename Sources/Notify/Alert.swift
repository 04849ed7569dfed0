public import Foundation

/// One alert as Alertmanager models it: a label set (its identity), annotations, when it
/// started, when it ended (nil or in the future: still firing) and where it came from.
public struct Alert: Sendable, Hashable, Codable {
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAt: Date
    /// When the alert ended or will end. nil: firing until told otherwise.
    public var endsAt: Date?
    public var generatorURL: String

    public init(
        labels: [String: String],
        annotations: [String: String] = [:],
        startsAt: Date,
        endsAt: Date? = nil,
        generatorURL: String = ""
    ) {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// The stable hash of the label set, as Alertmanager computes it.
    public var fingerprint: Fingerprint { Fingerprint(labels: labels) }

    /// Resolved once `endsAt` is set and not after `now` (Alertmanager: `EndsAt.Before(now)`
    /// or equal).
    public func status(at now: Date) -> AlertStatus {
        if let endsAt, endsAt <= now { return .resolved }
        return .firing
    }

    /// The `alertname` label, or "" when absent.
    public var name: String { labels["alertname"] ?? "" }

    /// Labels sorted by name (the order every payload uses).
    public var sortedLabels: [(name: String, value: String)] {
        labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
