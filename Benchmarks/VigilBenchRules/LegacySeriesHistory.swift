import Foundation
import Rules
import VigilCore

/// The ingest path of `SeriesHistory` as it was before series were interned (commit 46d4f8a):
/// a dictionary keyed by label set, a set of present series per source, every sample's label
/// set built and hashed. Kept only so `--ingest-ab` can run the old and the new ingest side by
/// side on the same collections; queries are not needed for that and are left out.
struct LegacySeriesHistory {
    var retention: Int64
    let maxSamplesPerSeries: Int
    private var series: [LabelSet: LegacyRingBuffer] = [:]
    private var byName: [String: Set<LabelSet>] = [:]
    private var sources: [String: Set<LabelSet>] = [:]
    private(set) var outOfOrderSamples = 0

    init(retention: Int64, maxSamplesPerSeries: Int = 100_000) {
        self.retention = retention
        self.maxSamplesPerSeries = maxSamplesPerSeries
    }

    var seriesCount: Int { series.count }
    var sampleCount: Int { series.values.reduce(0) { $0 + $1.count } }

    mutating func append(families: [MetricFamily], at date: Date, source: String = "") {
        let t = SeriesHistory.milliseconds(date)
        var present: Set<LabelSet> = []
        for f in families {
            for s in f.samples {
                let ls = LabelSet(name: f.name + s.suffix, labels: s.labels)
                present.insert(ls)
                append(ls, t: t, value: s.value)
            }
        }
        if let previous = sources[source] {
            for ls in previous where !present.contains(ls) {
                append(ls, t: t, value: StaleMarker.value)
            }
        }
        sources[source] = present
        prune(now: t)
    }

    @discardableResult
    mutating func append(_ labels: LabelSet, t: Int64, value: Double) -> Bool {
        if series[labels] == nil {
            if StaleMarker.isStale(value) { return false }
            series[labels] = LegacyRingBuffer(maxSamples: maxSamplesPerSeries)
            byName[labels.metricName ?? "", default: []].insert(labels)
        }
        let ok = series[labels]?.append(t, value) ?? false
        if !ok { outOfOrderSamples += 1 }
        return ok
    }

    mutating func prune(now: Int64) {
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
}

/// `RingBuffer` as it was at 46d4f8a: times and values in two arrays.
struct LegacyRingBuffer {
    private var times: [Int64] = []
    private var values: [Double] = []
    private var head = 0
    private(set) var count = 0
    let maxSamples: Int

    init(maxSamples: Int) { self.maxSamples = max(1, maxSamples) }

    var isEmpty: Bool { count == 0 }

    private func slot(_ i: Int) -> Int {
        let s = head + i
        return s >= times.count ? s - times.count : s
    }

    func time(_ i: Int) -> Int64 { times[slot(i)] }
    func value(_ i: Int) -> Double { values[slot(i)] }
    var lastTime: Int64? { count > 0 ? time(count - 1) : nil }
    var last: (t: Int64, v: Double)? { count > 0 ? (time(count - 1), value(count - 1)) : nil }

    @discardableResult
    mutating func append(_ t: Int64, _ v: Double) -> Bool {
        if let last = lastTime, t <= last { return false }
        if count == times.count {
            if count >= maxSamples {
                times[head] = t
                values[head] = v
                head = slot(1)
                return true
            }
            grow()
        }
        let s = slot(count)
        times[s] = t
        values[s] = v
        count += 1
        return true
    }

    private mutating func grow() {
        let newCap = min(maxSamples, max(4, times.count * 2))
        var nt = [Int64](repeating: 0, count: newCap)
        var nv = [Double](repeating: 0, count: newCap)
        for i in 0..<count {
            nt[i] = time(i)
            nv[i] = value(i)
        }
        times = nt
        values = nv
        head = 0
    }

    mutating func prune(before t: Int64) {
        while count > 0, time(0) < t {
            head = slot(1)
            count -= 1
        }
        if count == 0 { head = 0 }
        if times.count > 16, count * 4 < times.count {
            var nt = [Int64](repeating: 0, count: times.count / 2)
            var nv = [Double](repeating: 0, count: times.count / 2)
            for i in 0..<count {
                nt[i] = time(i)
                nv[i] = value(i)
            }
            times = nt
            values = nv
            head = 0
        }
    }
}
