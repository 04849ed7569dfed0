/// Durations in Prometheus' notation: `1h30m`, `500ms`, `15s`, `2d`, `1w`, `1y`, units in
/// descending order, each at most once. Pure.
public enum PromDuration {
    private static let units: [(String, Double)] = [
        ("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001),
    ]

    /// Seconds for `text`, or nil when it is not a valid duration. "0" is accepted.
    public static func parse(_ text: String) -> Double? {
        if text == "0" { return 0 }
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        var lastRank = -1
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty, let n = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix(while: { $0.isASCII && $0.isLetter })
            rest = rest.dropFirst(letters.count)
            guard let rank = units.firstIndex(where: { $0.0 == letters }), rank > lastRank else { return nil }
            lastRank = rank
            total += n * units[rank].1
        }
        return total
    }

    /// Formats seconds the way Prometheus prints durations: `1h30m`, `500ms`, `0s`.
    public static func format(_ seconds: Double) -> String {
        var ms = Int64((seconds * 1000).rounded())
        if ms == 0 { return "0s" }
        var out = ""
        if ms < 0 { out = "-"; ms = -ms }
        for (name, size) in units {
            let unitMs = Int64(size * 1000)
            if ms >= unitMs {
                out += "\(ms / unitMs)\(name)"
                ms %= unitMs
            }
        }
        return out
    }
}
