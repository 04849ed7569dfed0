import VigilCore

/// Turns successive pg_stat_statements snapshots into per-interval deltas: a latency
/// histogram per database (each statement's mean over the interval counted into a bucket,
/// weighted by its calls) and remainder counters for the statements outside the top N. A
/// remainder starts at those statements' totals and then grows by their increases, so it
/// never goes down when statements move in or out of the top N (no false counter resets),
/// and sums over a database are exact while the top N stays the same. Pure.
struct StatementLatency {
    struct Key: Hashable {
        var user: String
        var datname: String
        var queryid: String
    }

    struct Totals: Equatable {
        var calls: Double
        var seconds: Double
        var rows: Double
        var readSeconds: Double
        var writeSeconds: Double

        static let zero = Totals(calls: 0, seconds: 0, rows: 0, readSeconds: 0, writeSeconds: 0)

        static func - (a: Totals, b: Totals) -> Totals {
            Totals(calls: a.calls - b.calls, seconds: a.seconds - b.seconds, rows: a.rows - b.rows,
                   readSeconds: a.readSeconds - b.readSeconds, writeSeconds: a.writeSeconds - b.writeSeconds)
        }

        static func + (a: Totals, b: Totals) -> Totals {
            Totals(calls: a.calls + b.calls, seconds: a.seconds + b.seconds, rows: a.rows + b.rows,
                   readSeconds: a.readSeconds + b.readSeconds, writeSeconds: a.writeSeconds + b.writeSeconds)
        }
    }

    struct Histogram: Equatable {
        var buckets: [Double]  // non-cumulative counts per finite bound, plus +Inf last
        var sum: Double = 0
        var count: Double = 0
    }

    let bounds: [Double]
    let topN: Int
    private var previous: [Key: Totals]?
    private(set) var histograms: [String: Histogram] = [:]
    private(set) var remainder: [String: Totals] = [:]

    init(bounds: [Double], topN: Int) {
        self.bounds = bounds.filter { $0.isFinite && $0 > 0 }.sorted()
        self.topN = max(0, topN)
    }

    /// The delta of one statement since the previous snapshot. A statement seen for the first
    /// time after the first snapshot counts whole (it was created since); one whose calls went
    /// down was reset, and its current totals are the delta.
    static func delta(current: Totals, previous: Totals?) -> Totals {
        guard let previous else { return current }
        if current.calls < previous.calls || current.seconds < previous.seconds { return current }
        return current - previous
    }

    /// Index of the bucket `value` falls in (`bounds.count` is +Inf).
    func bucketIndex(_ value: Double) -> Int {
        bounds.firstIndex(where: { value <= $0 }) ?? bounds.count
    }

    /// Takes one snapshot; returns the keys of the top N statements by total time.
    mutating func observe(_ snapshot: [Key: Totals]) -> [Key] {
        let ranked = snapshot.sorted {
            if $0.value.seconds != $1.value.seconds { return $0.value.seconds > $1.value.seconds }
            return ($0.key.datname, $0.key.user, $0.key.queryid) < ($1.key.datname, $1.key.user, $1.key.queryid)
        }.map(\.key)
        let top = Array(ranked.prefix(topN))
        let topSet = Set(top)
        if previous == nil {
            // The remainder starts at the absolute totals of the statements outside the top N,
            // so sums are exact while the top N stays the same; afterwards it only grows.
            for (key, current) in snapshot where !topSet.contains(key) {
                remainder[key.datname] = (remainder[key.datname] ?? .zero) + current
            }
        }
        if let previous {
            for (key, current) in snapshot {
                let d = Self.delta(current: current, previous: previous[key])
                guard d.calls > 0 else { continue }
                var h = histograms[key.datname] ?? Histogram(buckets: Array(repeating: 0, count: bounds.count + 1))
                h.buckets[bucketIndex(max(0, d.seconds) / d.calls)] += d.calls
                h.sum += max(0, d.seconds)
                h.count += d.calls
                histograms[key.datname] = h
                if !topSet.contains(key) {
                    remainder[key.datname] = (remainder[key.datname] ?? .zero) + d
                }
            }
        }
        previous = snapshot
        return top
    }

    /// The histogram family, one series per database.
    func histogramFamily() -> MetricFamily {
        var series: [(labels: Labels, buckets: [(Double, Double)], sum: Double, count: Double)] = []
        for db in histograms.keys.sorted() {
            guard let h = histograms[db] else { continue }
            var cumulative = 0.0
            var buckets: [(Double, Double)] = []
            for (i, b) in bounds.enumerated() {
                cumulative += h.buckets[i]
                buckets.append((b, cumulative))
            }
            series.append((labels: ["datname": db], buckets: buckets, sum: h.sum, count: h.count))
        }
        return .histogram("pg_stat_statements_latency_seconds",
                          "Statement latency from pg_stat_statements: each statement's mean time over a collection interval, counted once per call.",
                          series: series)
    }
}
