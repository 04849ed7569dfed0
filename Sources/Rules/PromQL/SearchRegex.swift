import CRE2

/// A regular expression searched for anywhere in a text, as Go's `regexp.Match` does
/// (blackbox_exporter's `fail_if_body_matches_regexp`, `query_response.expect`): RE2 syntax
/// and linear-time matching, no implicit anchors and no implicit `(?s)`. Immutable and safe to
/// share between threads; the compiled RE2 object is freed with it.
public final class SearchRegex: @unchecked Sendable {
    public let pattern: String
    private let compiled: OpaquePointer
    /// Capturing groups of the pattern (the whole match not counted).
    public let captureCount: Int

    public init(_ pattern: String) throws(RegexError) {
        self.pattern = pattern
        let re = try RE2Compile.compile(pattern, anchored: false)
        compiled = re
        captureCount = Int(vigil_re2_group_count(re))
    }

    deinit { vigil_re2_free(compiled) }

    /// Whether any part of `bytes` matches.
    public func matches(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { vigil_re2_search(compiled, $0.baseAddress, $0.count, nil, 0) == 1 }
        }
    }

    public func matches(_ s: String) -> Bool { matches(Array(s.utf8)) }

    /// The first match's groups (index 0: the whole match; "" for a group that took no part),
    /// nil when nothing matches.
    public func firstMatch(_ bytes: [UInt8]) -> [[UInt8]]? {
        let groups = captureCount + 1
        var spans = [Int](repeating: -1, count: 2 * groups)
        let matched = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { chars in
                spans.withUnsafeMutableBufferPointer { sp in
                    vigil_re2_search(compiled, chars.baseAddress, chars.count, sp.baseAddress, Int32(groups)) == 1
                }
            }
        }
        guard matched else { return nil }
        return (0..<groups).map { i in
            let start = spans[2 * i], end = spans[2 * i + 1]
            guard start >= 0, end >= start, end <= bytes.count else { return [] }
            return Array(bytes[start..<end])
        }
    }

    /// `template` with `$1`, `${1}`, `${name}`-less numeric references replaced by the groups of
    /// `match` (Go's `Regexp.Expand` for numbered groups; `$$` is a literal `$`).
    public static func expand(_ template: String, _ match: [[UInt8]]) -> [UInt8] {
        let t = Array(template.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < t.count {
            guard t[i] == UInt8(ascii: "$"), i + 1 < t.count else {
                out.append(t[i])
                i += 1
                continue
            }
            if t[i + 1] == UInt8(ascii: "$") {
                out.append(UInt8(ascii: "$"))
                i += 2
                continue
            }
            var j = i + 1
            let braced = t[j] == UInt8(ascii: "{")
            if braced { j += 1 }
            let digitsStart = j
            while j < t.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(t[j]), j - digitsStart < 4 { j += 1 }
            guard j > digitsStart, !braced || (j < t.count && t[j] == UInt8(ascii: "}")) else {
                out.append(t[i])
                i += 1
                continue
            }
            let n = Int(String(decoding: t[digitsStart..<j], as: UTF8.self)) ?? -1
            if n >= 0, n < match.count { out.append(contentsOf: match[n]) }
            i = braced ? j + 1 : j
        }
        return out
    }
}

extension SearchRegex: Hashable {
    /// Two regexes compiled from the same pattern match the same strings.
    public static func == (a: SearchRegex, b: SearchRegex) -> Bool { a.pattern == b.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }
}
