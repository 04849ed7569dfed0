import VigilCore

/// The `web:` keys that defend the HTTP server and bound API queries.
extension VigilConfig.Web {
    /// 100ms … 5m: below that a slow link cannot send a header; above it an attacker holds a
    /// connection for minutes.
    static let headerTimeoutRange: ClosedRange<Double> = 0.1...300
    /// 10ms … 1h (Prometheus' default is 2m; Vigil's is 30s, since only 2 queries run at once).
    static let queryTimeoutRange: ClosedRange<Double> = 0.01...3600
    static let queryMaxConcurrencyRange: ClosedRange<Int> = 1...64
    static let queryMaxSamplesRange: ClosedRange<Int> = 1...1_000_000_000_000

    /// Queries that may wait for a free evaluation thread before new ones are refused with 503.
    var queryQueueLimit: Int { max(4, 2 * queryMaxConcurrency) }

    /// `header_timeout`, `query_timeout`, `query_max_concurrency`, `query_max_samples`.
    mutating func readDefences(_ w: StrictYAMLReader) throws(PositionedError) {
        headerTimeout = try Self.duration(w, "header_timeout", range: Self.headerTimeoutRange) ?? headerTimeout
        queryTimeout = try Self.duration(w, "query_timeout", range: Self.queryTimeoutRange) ?? queryTimeout
        queryMaxConcurrency = try w.int("query_max_concurrency", range: Self.queryMaxConcurrencyRange) ?? queryMaxConcurrency
        queryMaxSamples = try w.int("query_max_samples", range: Self.queryMaxSamplesRange) ?? queryMaxSamples
    }

    /// A duration within `range` (the strict reader words the range error).
    private static func duration(_ w: StrictYAMLReader, _ key: String, range: ClosedRange<Double>) throws(PositionedError) -> Double? {
        try w.seconds(key, range: range)
    }
}
