/// A regular expression that does not compile; `reason` is RE2's explanation.
public struct RegexError: Error, Sendable, CustomStringConvertible {
    public let pattern: String
    public let reason: String

    public init(pattern: String, reason: String = "") {
        self.pattern = pattern
        self.reason = reason
    }

    public var description: String {
        "invalid regular expression \(PromQLString.quote(pattern))" + (reason.isEmpty ? "" : ": \(reason)")
    }
}
