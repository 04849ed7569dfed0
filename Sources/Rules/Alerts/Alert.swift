import VigilCore

/// One alert of an alerting rule: identity = sample labels without `__name__` + rule labels +
/// `alertname`. Times are milliseconds since the epoch.
public struct Alert: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Hashable, Codable {
        case inactive, pending, firing
    }

    public var labels: LabelSet
    public var annotations: [String: String]
    public var state: State
    public var value: Double
    /// When the alert became pending (the start of its `for` window).
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    /// When the condition stopped holding while `keep_firing_for` keeps the alert firing.
    public var keepFiringSince: Int64?

    public init(labels: LabelSet, annotations: [String: String], state: State, value: Double, activeAt: Int64,
                firedAt: Int64? = nil, resolvedAt: Int64? = nil, keepFiringSince: Int64? = nil) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.resolvedAt = resolvedAt
        self.keepFiringSince = keepFiringSince
    }

    enum CodingKeys: String, CodingKey {
        case labels, annotations, state, value, activeAt, firedAt, resolvedAt, keepFiringSince
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let l = try c.decode([String: String].self, forKey: .labels)
        labels = LabelSet(l.map { Label($0.key, $0.value) })
        annotations = try c.decode([String: String].self, forKey: .annotations)
        state = try c.decode(State.self, forKey: .state)
        // NaN/Inf are not JSON numbers: values travel as strings, as in Prometheus' API.
        let v = try c.decode(String.self, forKey: .value)
        value = Evaluator.parseLe(v) ?? .nan
        activeAt = try c.decode(Int64.self, forKey: .activeAt)
        firedAt = try c.decodeIfPresent(Int64.self, forKey: .firedAt)
        resolvedAt = try c.decodeIfPresent(Int64.self, forKey: .resolvedAt)
        keepFiringSince = try c.decodeIfPresent(Int64.self, forKey: .keepFiringSince)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Dictionary(uniqueKeysWithValues: labels.labels.map { ($0.name, $0.value) }), forKey: .labels)
        try c.encode(annotations, forKey: .annotations)
        try c.encode(state, forKey: .state)
        try c.encode(GoFormat.float(value), forKey: .value)
        try c.encode(activeAt, forKey: .activeAt)
        try c.encodeIfPresent(firedAt, forKey: .firedAt)
        try c.encodeIfPresent(resolvedAt, forKey: .resolvedAt)
        try c.encodeIfPresent(keepFiringSince, forKey: .keepFiringSince)
    }
}
