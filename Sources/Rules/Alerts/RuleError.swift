/// A rule evaluation error (query error, duplicate label sets, limit exceeded).
public struct RuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public let rule: String
    public let message: String
    /// True when Prometheus discards the rule's alerts on this error (limit exceeded).
    public let clearsState: Bool

    public init(rule: String, message: String, clearsState: Bool = false) {
        self.rule = rule
        self.message = message
        self.clearsState = clearsState
    }

    public var description: String { "rule \(PromQLString.quote(rule)): \(message)" }
}
