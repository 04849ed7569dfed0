/// Durations in Prometheus' notation: `1h30m`, `500ms`, `15s`, `2d`, `1w`, `1y`, units in
/// descending order, each at most once. Pure and total: parsing refuses what does not fit, and
/// formatting clamps instead of trapping.
public enum PromDuration {
    /// Unit names and their size in milliseconds.
    private static let units: [(String, UInt64)] = [
        ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1),
    ]

    /// The longest duration Prometheus' `model.ParseDuration` accepts: Go's `time.Duration`
    /// (int64 nanoseconds), about 292 years, in whole milliseconds.
    public static let maxMilliseconds: UInt64 = UInt64(Int64.max) / 1_000_000

    /// `maxMilliseconds` in seconds.
    public static let maxSeconds: Double = Double(maxMilliseconds) / 1000

    /// Why a text is not a duration.
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        case invalid
        case outOfRange

        public var description: String {
            switch self {
            case .invalid: "not a duration"
            case .outOfRange: "duration out of range"
            }
        }
    }

    /// Milliseconds for `text`, as Prometheus' `model.ParseDuration` reads it: "0" is accepted,
    /// anything longer than `maxMilliseconds` is `.outOfRange`.
    public static func parseMilliseconds(_ text: String) -> Result<UInt64, ParseError> {
        if text == "0" { return .success(0) }
        var rest = Substring(text)
        guard !rest.isEmpty else { return .failure(.invalid) }
        var total: UInt64 = 0
        var lastRank = -1
        var overflow = false
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty else { return .failure(.invalid) }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(letters.count)
            guard let rank = units.firstIndex(where: { $0.0 == letters }), rank > lastRank else { return .failure(.invalid) }
            lastRank = rank
            // Keep checking the syntax of the rest after an overflow: a malformed text is
            // `.invalid` whatever its size.
            guard !overflow, let n = UInt64(digits) else { overflow = true; continue }
            let (product, o1) = n.multipliedReportingOverflow(by: units[rank].1)
            let (sum, o2) = total.addingReportingOverflow(product)
            if o1 || o2 || sum > maxMilliseconds { overflow = true; continue }
            total = sum
        }
        return overflow ? .failure(.outOfRange) : .success(total)
    }

    /// Seconds for `text`, or nil when it is not a valid duration or out of range. "0" is accepted.
    public static func parse(_ text: String) -> Double? {
        guard case .success(let ms) = parseMilliseconds(text) else { return nil }
        return Double(ms) / 1000
    }

    /// Whole milliseconds of `seconds`, rounded, clamped to ±`maxMilliseconds` (NaN is 0).
    /// Total: never traps, whatever the input.
    public static func milliseconds(_ seconds: Double) -> Int64 {
        guard !seconds.isNaN else { return 0 }
        let limit = Double(maxMilliseconds)
        let ms = (seconds * 1000).rounded()
        if ms >= limit { return Int64(maxMilliseconds) }
        if ms <= -limit { return -Int64(maxMilliseconds) }
        return Int64(ms)
    }

    /// Formats seconds the way Prometheus prints durations: `1h30m`, `500ms`, `0s`. Values
    /// beyond the representable range are clamped to it.
    public static func format(_ seconds: Double) -> String {
        let signed = milliseconds(seconds)
        if signed == 0 { return "0s" }
        var out = signed < 0 ? "-" : ""
        var ms = signed.magnitude
        for (name, size) in units where ms >= size {
            out += "\(ms / size)\(name)"
            ms %= size
        }
        return out
    }
}
