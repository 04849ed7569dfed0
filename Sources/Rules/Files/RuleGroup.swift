public import VigilCore

/// A rule group: rules evaluated in order at the same timestamp, every `interval`.
public struct RuleGroup: Sendable, Hashable {
    public var name: String
    /// File the group was loaded from.
    public var file: String
    /// Evaluation interval in milliseconds; nil means the global evaluation interval.
    public var interval: Int64?
    /// Evaluate `query_offset` in the past (milliseconds).
    public var queryOffset: Int64
    /// Maximum number of alerts/series a rule may produce (0 = unlimited).
    public var limit: Int
    /// Labels added to every rule of the group (rule labels win).
    public var labels: [Label]
    public var rules: [Rule]

    public init(name: String, file: String = "", interval: Int64? = nil, queryOffset: Int64 = 0, limit: Int = 0,
                labels: [Label] = [], rules: [Rule]) {
        self.name = name
        self.file = file
        self.interval = interval
        self.queryOffset = queryOffset
        self.limit = limit
        self.labels = labels
        self.rules = rules
    }

    /// The history the group needs, in milliseconds: longest range + offset + look-back.
    public func retentionNeeded(lookbackDelta: Int64 = PromQL.lookbackDelta) -> Int64 {
        rules.map { $0.expr.lookbackNeeded(lookbackDelta: lookbackDelta) }.max().map { $0 + queryOffset } ?? lookbackDelta
    }
}
