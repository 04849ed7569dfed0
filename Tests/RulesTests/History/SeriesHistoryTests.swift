import Foundation
import Testing
import VigilCore
@testable import Rules

@Suite("SeriesHistory")
struct SeriesHistoryTests {
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    @Test("names samples after family + suffix and keeps their labels")
    func ingestNames() throws {
        var h = SeriesHistory(retention: 600_000)
        let fam = MetricFamily.histogram("lat", "h", series: [(labels: ["job": "a"], buckets: [(0.5, 2)], sum: 1.5, count: 3)])
        h.append(families: [fam], at: Self.date(100))
        let names = Set(h.select([try LabelMatcher("job", .equal, "a")]).compactMap(\.metricName))
        #expect(names == ["lat_bucket", "lat_sum", "lat_count"])
        #expect(h.latest(LabelSet(name: "lat_count", labels: ["job": "a"]), at: 100_000, lookback: 300_000)?.v == 3)
    }

    @Test("a series missing from its source's next collection turns stale and stops matching")
    func staleness() {
        var h = SeriesHistory(retention: 600_000)
        let a = MetricFamily.gauge("g", "", [Sample(["i": "1"], 1), Sample(["i": "2"], 2)])
        h.append(families: [a], at: Self.date(10), source: "pg")
        // Another source's collection does not touch pg's series.
        h.append(families: [MetricFamily.gauge("r", "", value: 5)], at: Self.date(15), source: "redis")
        h.append(families: [MetricFamily.gauge("g", "", [Sample(["i": "1"], 3)])], at: Self.date(20), source: "pg")
        let one = LabelSet(name: "g", labels: ["i": "1"]), two = LabelSet(name: "g", labels: ["i": "2"])
        #expect(h.latest(one, at: 25_000, lookback: 300_000)?.v == 3)
        #expect(h.latest(two, at: 15_000, lookback: 300_000)?.v == 2)
        #expect(h.latest(two, at: 25_000, lookback: 300_000) == nil)
        #expect(h.range(two, after: 0, through: 25_000).map(\.v) == [2])
        #expect(h.latest(LabelSet(name: "r", labels: Labels()), at: 25_000, lookback: 300_000)?.v == 5)
    }

    @Test("look-back is left-open: a sample exactly 5m old is not found")
    func lookbackEdge() {
        var h = SeriesHistory(retention: 600_000)
        let ls: LabelSet = ["__name__": "x"]
        h.append(ls, t: 0, value: 1)
        #expect(h.latest(ls, at: 299_999, lookback: 300_000)?.v == 1)
        #expect(h.latest(ls, at: 300_000, lookback: 300_000) == nil)
    }

    @Test("prunes by retention, drops empty series and reports memory that follows")
    func retention() {
        var h = SeriesHistory(retention: 60_000)
        for i in 0..<200 {
            h.append(families: [MetricFamily.gauge("g", "", [Sample(["i": "\(i % 10)"], Double(i))])], at: Self.date(Double(i)), source: "s\(i % 10)")
        }
        #expect(h.seriesCount == 10)
        // 60 s retention at 1 sample/10 s per series: at most 7 samples each.
        #expect(h.sampleCount <= 70)
        let before = h.memoryBytes
        #expect(before > 0)
        h.prune(now: 1_000_000)
        #expect(h.seriesCount == 0)
        #expect(h.memoryBytes < before)
    }

    @Test("rejects out-of-order samples and counts them")
    func outOfOrder() {
        var h = SeriesHistory()
        let ls: LabelSet = ["__name__": "x"]
        let first = h.append(ls, t: 10, value: 1)
        let same = h.append(ls, t: 10, value: 2)
        let older = h.append(ls, t: 5, value: 2)
        #expect(first && !same && !older)
        #expect(h.outOfOrderSamples == 2)
    }

    @Test("caps samples per series, keeping the newest")
    func cap() {
        var h = SeriesHistory(retention: Int64.max / 4, maxSamplesPerSeries: 8)
        let ls: LabelSet = ["__name__": "x"]
        for i in 0..<20 { h.append(ls, t: Int64(i), value: Double(i)) }
        #expect(h.range(ls, after: -1, through: 100).map(\.v) == (12..<20).map(Double.init))
    }
}
