import Foundation
import Rules

/// One label matcher in Alertmanager's syntax: `name="value"`, `name!="value"`,
/// `name=~"regex"`, `name!~"regex"`. Regexes are RE2 (Go's syntax, as in Alertmanager),
/// anchored at both ends, with `.` matching newlines as in PromQL matchers.
/// A missing label matches as the empty string.
public struct Matcher: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case equal = "=", notEqual = "!=", regex = "=~", notRegex = "!~"
    }

    public let name: String
    public let kind: Kind
    public let value: String
    private let regex: AnchoredRegex?

    /// Throws `MatcherError` when a regex does not compile.
    public init(name: String, kind: Kind, value: String) throws(MatcherError) {
        self.name = name
        self.kind = kind
        self.value = value
        switch kind {
        case .equal, .notEqual: regex = nil
        case .regex, .notRegex:
            do { regex = try AnchoredRegex(value) } catch {
                throw MatcherError(text: value, message: "invalid regular expression (\(error.reason))")
            }
        }
    }

    public func matches(_ labels: [String: String]) -> Bool {
        let v = labels[name] ?? ""
        switch kind {
        case .equal: return v == value
        case .notEqual: return v != value
        case .regex: return regex?.matches(v) ?? false
        case .notRegex: return !(regex?.matches(v) ?? false)
        }
    }

    /// `name="value"` with the value quoted as Go's `%q` would (Alertmanager's form).
    public var description: String { "\(name)\(kind.rawValue)\(Self.quote(value))" }

    public static func == (a: Matcher, b: Matcher) -> Bool { a.name == b.name && a.kind == b.kind && a.value == b.value }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(kind); h.combine(value) }

    /// Alertmanager prints matcher values with Go's `%q`, as PromQL strings are quoted.
    static func quote(_ s: String) -> String { PromQLString.quote(s) }

    /// True when every matcher matches.
    public static func all(_ matchers: [Matcher], match labels: [String: String]) -> Bool {
        matchers.allSatisfy { $0.matches(labels) }
    }

    /// Alertmanager's `Matchers.String()`: sorted by name, then kind, then value, in braces.
    public static func listDescription(_ matchers: [Matcher]) -> String {
        let sorted = matchers.sorted {
            if $0.name != $1.name { return $0.name < $1.name }
            if $0.kind != $1.kind { return $0.kind.rawValue < $1.kind.rawValue }
            return $0.value < $1.value
        }
        return "{" + sorted.map(\.description).joined(separator: ",") + "}"
    }
}

/// A matcher that does not parse; `message` says why, `text` is the input.
public struct MatcherError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let message: String
    public var description: String { "\(message) in matcher \(Matcher.quote(text))" }
}
