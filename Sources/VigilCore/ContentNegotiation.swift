/// Chooses a format from an HTTP `Accept` header the way Prometheus asks: the highest `q`
/// among the media types Vigil serves wins; ties go to the earlier entry; text otherwise.
///
/// Runs on libmicrohttpd's threads for every `/metrics` request, so it reads the header's UTF-8
/// bytes in place, without splitting it into strings: separators (`,` `;` `=`), the blanks
/// trimmed (space, tab, and `"` around parameter names and values) and the names compared
/// (ASCII, case-insensitively) are all ASCII, so byte positions are exact.
public enum ContentNegotiation {
    public static func format(accept: String?) -> ExpositionFormat {
        guard let accept, !accept.isEmpty else { return .text }
        return withBytes(accept) { chooseFormat($0) }
    }

    /// Whether an `Accept-Encoding` header allows gzip (listed, or `*`, and not with `q=0`).
    public static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return withBytes(header) { allowsGzip($0) }
    }

    private typealias Bytes = UnsafeBufferPointer<UInt8>

    private static func chooseFormat(_ b: Bytes) -> ExpositionFormat {
        var best: (format: ExpositionFormat, q: Double)?
        forEachPiece(b, 0..<b.count, separator: UInt8(ascii: ",")) { entry in
            var media: Range<Int>?
            var q = 1.0
            var version: Range<Int>?
            forEachPiece(b, entry, separator: UInt8(ascii: ";")) { part in
                guard media != nil else {
                    media = trim(b, part, quotes: false)
                    return
                }
                guard let (key, value) = parameter(b, trim(b, part, quotes: false)) else { return }
                if equalsIgnoringCase(b, key, "q") {
                    q = number(b, value) ?? 0
                } else if equalsIgnoringCase(b, key, "version") {
                    version = value
                }
            }
            guard let media else { return }
            let candidate: ExpositionFormat?
            if equalsIgnoringCase(b, media, "application/openmetrics-text") {
                let spoken = version.map { equals(b, $0, "1.0.0") || equals(b, $0, "0.0.1") } ?? true
                candidate = spoken ? .openMetrics : nil
            } else if equalsIgnoringCase(b, media, "text/plain") {
                let spoken = version.map { equals(b, $0, "0.0.4") || equals(b, $0, "1.0.0") } ?? true
                candidate = spoken ? .text : nil
            } else if equalsIgnoringCase(b, media, "*/*") || equalsIgnoringCase(b, media, "text/*") {
                candidate = .text
            } else {
                candidate = nil
            }
            guard let candidate, q > 0 else { return }
            if q > (best?.q ?? 0) { best = (candidate, q) }
        }
        return best?.format ?? .text
    }

    private static func allowsGzip(_ b: Bytes) -> Bool {
        var allowed = false
        forEachPiece(b, 0..<b.count, separator: UInt8(ascii: ",")) { entry in
            guard !allowed else { return }
            var coding: Range<Int>?
            var q = 1.0
            forEachPiece(b, entry, separator: UInt8(ascii: ";")) { part in
                let p = trim(b, part, quotes: false)
                guard coding != nil else {
                    coding = p
                    return
                }
                // `q=` exactly (no blanks around `=`), the rest parsed as a number.
                if p.count >= 2, b[p.lowerBound] | 0x20 == UInt8(ascii: "q"), b[p.lowerBound + 1] == UInt8(ascii: "=") {
                    q = number(b, (p.lowerBound + 2)..<p.upperBound) ?? 0
                }
            }
            guard let coding, equalsIgnoringCase(b, coding, "gzip") || equals(b, coding, "*") else { return }
            if q > 0 { allowed = true }
        }
        return allowed
    }

    /// A media-type parameter `name=value` as `split(separator: "=", maxSplits: 1)` cuts it
    /// (empty pieces omitted: `=` before the name are skipped, the value is all after the first
    /// `=` that follows it), both trimmed of blanks and quotes; nil without a non-empty value.
    private static func parameter(_ b: Bytes, _ p: Range<Int>) -> (name: Range<Int>, value: Range<Int>)? {
        var start = p.lowerBound
        while start < p.upperBound, b[start] == UInt8(ascii: "=") { start += 1 }
        guard let eq = b[start..<p.upperBound].firstIndex(of: UInt8(ascii: "=")), eq + 1 < p.upperBound else { return nil }
        return (trim(b, start..<eq, quotes: true), trim(b, (eq + 1)..<p.upperBound, quotes: true))
    }

    // MARK: byte helpers

    private static func withBytes<R>(_ s: String, _ body: (Bytes) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        return Array(s.utf8).withUnsafeBufferPointer(body)
    }

    /// Calls `body` with each non-empty run of `range` between separators (what `split`
    /// gives, empty pieces omitted).
    private static func forEachPiece(_ b: Bytes, _ range: Range<Int>, separator: UInt8, _ body: (Range<Int>) -> Void) {
        var start = range.lowerBound
        var i = range.lowerBound
        while i < range.upperBound {
            if b[i] == separator {
                if i > start { body(start..<i) }
                start = i + 1
            }
            i += 1
        }
        if range.upperBound > start { body(start..<range.upperBound) }
    }

    private static func isBlank(_ c: UInt8, quotes: Bool) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || (quotes && c == UInt8(ascii: "\""))
    }

    private static func trim(_ b: Bytes, _ r: Range<Int>, quotes: Bool) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi, isBlank(b[lo], quotes: quotes) { lo += 1 }
        while hi > lo, isBlank(b[hi - 1], quotes: quotes) { hi -= 1 }
        return lo..<hi
    }

    private static func equals(_ b: Bytes, _ r: Range<Int>, _ literal: StaticString) -> Bool {
        guard r.count == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for k in 0..<r.count where b[r.lowerBound + k] != l[k] { return false }
        return true
    }

    /// ASCII case-insensitive comparison with a lowercase literal.
    private static func equalsIgnoringCase(_ b: Bytes, _ r: Range<Int>, _ literal: StaticString) -> Bool {
        guard r.count == literal.utf8CodeUnitCount else { return false }
        let l = literal.utf8Start
        for k in 0..<r.count {
            var c = b[r.lowerBound + k]
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { c |= 0x20 }
            if c != l[k] { return false }
        }
        return true
    }

    /// The bytes as a Swift `Double` literal (`Double.init?(_:)`'s grammar), nil when they are not one.
    /// `digits[.digits]` of at most 15 digits (every q-value a client sends) is read here: the
    /// digits as an integer below 2^53 divided by an exact power of ten is one correctly rounded
    /// division, the value `Double.init?(_:)` gives; anything else goes through that.
    private static func number(_ b: Bytes, _ r: Range<Int>) -> Double? {
        guard !r.isEmpty else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = -1 // digits after the point; -1 before the point
        var simple = true
        for i in r {
            let c = b[i]
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                mantissa = mantissa * 10 + UInt64(c - UInt8(ascii: "0"))
                digits += 1
                if fraction >= 0 { fraction += 1 }
            } else if c == UInt8(ascii: "."), fraction < 0, digits > 0 {
                fraction = 0
            } else {
                simple = false
                break
            }
            if digits > 15 { simple = false; break }
        }
        if simple, fraction != 0 {
            return fraction < 0 ? Double(mantissa) : Double(mantissa) / powersOfTen[fraction]
        }
        return Double(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self))
    }

    private static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]
}
