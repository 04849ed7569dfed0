import CRE2
import Synchronization

/// A regular expression anchored at both ends, as Prometheus anchors label matchers
/// (`^(?s:re)$`), in RE2's syntax (Go's `regexp`: `\pL`, `(?U)`, `(?P<name>…)`) and with
/// RE2's linear-time matching: no pattern makes a label value take exponential time.
/// Literal patterns skip the regex engine. The compiled RE2 object is immutable and
/// documented as safe to use from several threads at once; it is freed with this object.
/// Used by PromQL label matchers, `label_replace` and Notify's matchers.
public final class AnchoredRegex: @unchecked Sendable {
    public let pattern: String
    private let literal: String?
    private let compiled: OpaquePointer?
    /// Capturing groups of the pattern (the whole match not counted).
    public let captureCount: Int
    /// Label values repeat from one evaluation to the next: remember recent answers.
    private let cache = Mutex<[String: Bool]>([:])
    static let cacheLimit = 4096

    public init(_ pattern: String) throws(RegexError) {
        self.pattern = pattern
        let meta = Set("\\.+*?()|[]{}^$")
        if !pattern.contains(where: { meta.contains($0) }) {
            literal = pattern
            compiled = nil
            captureCount = 0
            return
        }
        literal = nil
        let re = try RE2Compile.compile(pattern, anchored: true)
        compiled = re
        captureCount = Int(vigil_re2_group_count(re))
    }

    deinit {
        if let compiled { vigil_re2_free(compiled) }
    }

    public func matches(_ s: String) -> Bool {
        if let literal { return s == literal }
        guard let compiled else { return false }
        if let known = cache.withLock({ $0[s] }) { return known }
        var text = s
        let result = text.withUTF8 { buf in
            buf.withMemoryRebound(to: CChar.self) { vigil_re2_full_match(compiled, $0.baseAddress, $0.count, nil, 0) == 1 }
        }
        cache.withLock { c in
            if c.count >= Self.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[s] = result
        }
        return result
    }

    /// The capture groups of a full match (index 0 is the whole string; "" for a group that
    /// did not take part), nil when the string does not match.
    public func captures(_ s: String) -> [String]? {
        if let literal { return s == literal ? [s] : nil }
        guard let compiled else { return nil }
        let groups = captureCount + 1
        var spans = [Int](repeating: -1, count: 2 * groups)
        var text = s
        return text.withUTF8 { buf -> [String]? in
            let matched = buf.withMemoryRebound(to: CChar.self) { chars in
                spans.withUnsafeMutableBufferPointer { sp in
                    vigil_re2_full_match(compiled, chars.baseAddress, chars.count, sp.baseAddress, Int32(groups)) == 1
                }
            }
            guard matched else { return nil }
            return (0..<groups).map { i in
                let start = spans[2 * i], end = spans[2 * i + 1]
                guard start >= 0, end >= start, end <= buf.count else { return "" }
                return String(decoding: UnsafeBufferPointer(rebasing: buf[start..<end]), as: UTF8.self)
            }
        }
    }
}

extension AnchoredRegex: Hashable {
    /// Two regexes compiled from the same pattern match the same strings.
    public static func == (a: AnchoredRegex, b: AnchoredRegex) -> Bool { a.pattern == b.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}
