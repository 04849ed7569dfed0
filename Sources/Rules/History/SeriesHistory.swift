public import Foundation
public import VigilCore

/// Bounded in-memory history of every series: one ring buffer per label set, kept as long as
/// `retention` (milliseconds) asks — the loaded rules' longest range + offset + look-back.
/// Pure value type: time is always an argument.
///
/// Staleness follows Prometheus: when a source's collection no longer contains a series it had
/// before, a stale marker is appended at the collection time, and selectors stop returning it.
public struct SeriesHistory: Sendable {
    /// How long samples are kept, in milliseconds.
    public var retention: Int64
    /// Hard cap of samples per series (protects memory against very short intervals).
    public let maxSamplesPerSeries: Int

    private var series: [LabelSet: RingBuffer] = [:]
    private var byName: [String: Set<LabelSet>] = [:]
    private var sources: [String: Set<LabelSet>] = [:]
    /// Samples rejected because they were not newer than the last one of their series.
    public private(set) var outOfOrderSamples = 0

    public init(retention: Int64 = PromQL.lookbackDelta, maxSamplesPerSeries: Int = 100_000) {
        self.retention = retention
        self.maxSamplesPerSeries = maxSamplesPerSeries
    }

    public static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    // MARK: ingest

    /// Appends one collection: every sample of `families` at `at`. Series that `source` delivered
    /// last time and that are missing now get a stale marker. Samples older than the retention
    /// window are pruned.
    public mutating func append(families: [MetricFamily], at date: Date, source: String = "") {
        let t = Self.milliseconds(date)
        var present: Set<LabelSet> = []
        for f in families {
            for s in f.samples {
                let ls = LabelSet(name: f.name + s.suffix, labels: s.labels)
                present.insert(ls)
                append(ls, t: t, value: s.value)
            }
        }
        markStale(source: source, present: present, at: t)
        prune(now: t)
    }

    /// Appends the output of a rule evaluation (`source` names the rule) with the same staleness
    /// handling as collections.
    public mutating func append(samples: [(LabelSet, Double)], at t: Int64, source: String) {
        var present: Set<LabelSet> = []
        for (ls, v) in samples {
            present.insert(ls)
            append(ls, t: t, value: v)
        }
        markStale(source: source, present: present, at: t)
    }

    private mutating func markStale(source: String, present: Set<LabelSet>, at t: Int64) {
        if let previous = sources[source] {
            for ls in previous where !present.contains(ls) {
                append(ls, t: t, value: StaleMarker.value)
            }
        }
        sources[source] = present
    }

    /// Appends one sample. Returns false when it is not newer than the series' last sample.
    @discardableResult
    public mutating func append(_ labels: LabelSet, t: Int64, value: Double) -> Bool {
        if series[labels] == nil {
            if StaleMarker.isStale(value) { return false }
            series[labels] = RingBuffer(maxSamples: maxSamplesPerSeries)
            byName[labels.metricName ?? "", default: []].insert(labels)
        }
        let ok = series[labels]?.append(t, value) ?? false
        if !ok { outOfOrderSamples += 1 }
        return ok
    }

    /// Drops samples older than `now - retention` and series left empty.
    public mutating func prune(now: Int64) {
        let cutoff = now - retention
        var emptied: [LabelSet] = []
        for key in Array(series.keys) {
            series[key]?.prune(before: cutoff)
            if let buf = series[key] {
                if buf.isEmpty || (buf.count == 1 && buf.last.map { StaleMarker.isStale($0.v) } == true) {
                    emptied.append(key)
                }
            }
        }
        for key in emptied {
            series[key] = nil
            let name = key.metricName ?? ""
            byName[name]?.remove(key)
            if byName[name]?.isEmpty == true { byName[name] = nil }
        }
    }

    // MARK: query

    /// Label sets of the series matching every matcher.
    public func select(_ matchers: [LabelMatcher]) -> [LabelSet] {
        let candidates: [LabelSet]
        if let nameMatcher = matchers.first(where: { $0.name == "__name__" && $0.op == .equal }) {
            candidates = Array(byName[nameMatcher.value] ?? [])
        } else {
            candidates = Array(series.keys)
        }
        return candidates.filter { ls in matchers.allSatisfy { $0.matches(ls[$0.name] ?? "") } }
    }

    /// The matching series with their buffers (one dictionary lookup per series).
    func selectBuffers(_ matchers: [LabelMatcher]) -> [(LabelSet, RingBuffer)] {
        var out: [(LabelSet, RingBuffer)] = []
        func consider(_ ls: LabelSet) {
            guard matchers.allSatisfy({ $0.matches(ls[$0.name] ?? "") }), let buf = series[ls] else { return }
            out.append((ls, buf))
        }
        if let nameMatcher = matchers.first(where: { $0.name == "__name__" && $0.op == .equal }) {
            for ls in byName[nameMatcher.value] ?? [] { consider(ls) }
        } else {
            for (ls, buf) in series where matchers.allSatisfy({ $0.matches(ls[$0.name] ?? "") }) { out.append((ls, buf)) }
        }
        return out
    }

    /// The newest sample at or before `t` and after `t - lookback` (left-open), nil when there
    /// is none or it is a stale marker.
    public func latest(_ labels: LabelSet, at t: Int64, lookback: Int64) -> (t: Int64, v: Double)? {
        series[labels]?.latest(at: t, lookback: lookback)
    }

    /// Samples in `(from, through]` without stale markers (Prometheus 3.x: left-open range).
    public func range(_ labels: LabelSet, after from: Int64, through: Int64) -> [(t: Int64, v: Double)] {
        guard let buf = series[labels] else { return [] }
        return buf.samples(after: from, through: through).filter { !StaleMarker.isStale($0.v) }
    }

    // MARK: accounting

    public var seriesCount: Int { series.count }
    public var sampleCount: Int { series.values.reduce(0) { $0 + $1.count } }

    /// Approximate bytes held: ring storage, label strings and index entries.
    public var memoryBytes: Int {
        var total = 0
        for (ls, buf) in series { total += buf.byteSize + ls.byteSize * 2 }
        for (_, set) in sources { total += set.count * 8 }
        return total
    }
}
