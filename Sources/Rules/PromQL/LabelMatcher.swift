/// One label matcher of a selector: `name op "value"`. Regexes are fully anchored.
public struct LabelMatcher: Sendable, Hashable, CustomStringConvertible {
    public enum Op: String, Sendable, Hashable {
        case equal = "=", notEqual = "!=", regexMatch = "=~", regexNoMatch = "!~"
    }

    public let name: String
    public let op: Op
    public let value: String
    let regex: AnchoredRegex?

    /// Fails with a message when the regex does not compile.
    public init(_ name: String, _ op: Op, _ value: String) throws(RegexError) {
        self.name = name
        self.op = op
        self.value = value
        switch op {
        case .regexMatch, .regexNoMatch: regex = try AnchoredRegex(value)
        default: regex = nil
        }
    }

    public func matches(_ v: String) -> Bool {
        switch op {
        case .equal: v == value
        case .notEqual: v != value
        case .regexMatch: regex?.matches(v) ?? false
        case .regexNoMatch: !(regex?.matches(v) ?? false)
        }
    }

    /// Whether the matcher accepts the empty string (a label that is absent).
    public var matchesEmpty: Bool { matches("") }

    public var description: String { "\(name)\(op.rawValue)\(PromQLString.quote(value))" }

    public static func == (a: LabelMatcher, b: LabelMatcher) -> Bool {
        a.name == b.name && a.op == b.op && a.value == b.value
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(op)
        h.combine(value)
    }
}
