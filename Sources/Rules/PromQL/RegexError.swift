/// A regular expression that does not compile.
public struct RegexError: Error, Sendable, CustomStringConvertible {
    public let pattern: String
    public var description: String { "invalid regular expression \(PromQLString.quote(pattern))" }
}
