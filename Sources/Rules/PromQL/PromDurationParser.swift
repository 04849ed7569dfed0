import VigilCore

/// PromQL durations: Prometheus' units y w d h m s ms, in descending order, each at most once.
enum PromDurationParser {
    static func parse(_ text: String) -> Double? {
        guard text != "0" else { return 0 }
        return PromDuration.parse(text)
    }
}

extension PromDurationParser {
    /// Prometheus' rendering of a millisecond duration (`1h30m`, `0s`).
    static func format(_ ms: Int64) -> String { PromDuration.format(Double(ms) / 1000) }
}
