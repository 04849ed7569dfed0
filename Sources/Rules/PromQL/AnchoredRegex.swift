import Foundation

/// A regular expression anchored at both ends, as Prometheus anchors label matchers
/// (`^(?s:re)$`). Literal patterns skip the regex engine. NSRegularExpression is immutable
/// after creation and documented as safe to share between threads.
public final class AnchoredRegex: @unchecked Sendable {
    public let pattern: String
    private let literal: String?
    private let regex: NSRegularExpression?

    public init(_ pattern: String) throws(RegexError) {
        self.pattern = pattern
        let meta = Set("\\.+*?()|[]{}^$")
        if !pattern.contains(where: { meta.contains($0) }) {
            literal = pattern
            regex = nil
        } else {
            literal = nil
            do {
                regex = try NSRegularExpression(pattern: "\\A(?s:\(pattern))\\z", options: [])
            } catch {
                throw RegexError(pattern: pattern)
            }
        }
    }

    public func matches(_ s: String) -> Bool {
        if let literal { return s == literal }
        guard let regex else { return false }
        let ns = s as NSString
        return regex.firstMatch(in: s, options: [], range: NSRange(location: 0, length: ns.length)) != nil
    }

    /// The capture groups of a full match (index 0 is the whole string), nil when no match.
    public func captures(_ s: String) -> [String]? {
        if let literal { return s == literal ? [s] : nil }
        guard let regex else { return nil }
        let ns = s as NSString
        guard let m = regex.firstMatch(in: s, options: [], range: NSRange(location: 0, length: ns.length)) else {
            return nil
        }
        return (0..<m.numberOfRanges).map { i in
            let r = m.range(at: i)
            return r.location == NSNotFound ? "" : ns.substring(with: r)
        }
    }

    /// Names of the named groups in order (`(?P<name>…)` is rewritten to `(?<name>…)` by callers).
    public var captureCount: Int { regex?.numberOfCaptureGroups ?? 0 }
}
