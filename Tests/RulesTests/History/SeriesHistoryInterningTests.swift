import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import Rules

/// Interned ingest (slots, same-position reuse, epoch stamps) against a reference model written
/// the way the history used to be: a dictionary of label sets, sets of present series per
/// source, every sample looked up by its label set.
@Suite("SeriesHistory interning")
struct SeriesHistoryInterningTests {
    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    /// The old semantics, spelled out: append rejects samples not newer than the last; a stale
    /// marker never creates a series; a source's series missing from its next collection get
    /// one marker; pruning drops samples older than the cutoff and series left empty or holding
    /// only a marker.
    struct Reference {
        var retention: Int64
        var series: [LabelSet: [(t: Int64, v: Double)]] = [:]
        var sources: [String: Set<LabelSet>] = [:]
        var outOfOrder = 0

        mutating func append(_ ls: LabelSet, _ t: Int64, _ v: Double) {
            if series[ls] == nil {
                if StaleMarker.isStale(v) { return }
                series[ls] = []
            }
            if let last = series[ls]!.last, t <= last.t {
                outOfOrder += 1
                return
            }
            series[ls]!.append((t, v))
        }

        mutating func collect(_ families: [MetricFamily], at t: Int64, source: String) {
            var present: Set<LabelSet> = []
            for f in families {
                for s in f.samples {
                    let ls = LabelSet(name: f.name + s.suffix, labels: s.labels)
                    present.insert(ls)
                    append(ls, t, s.value)
                }
            }
            for ls in sources[source] ?? [] where !present.contains(ls) { append(ls, t, StaleMarker.value) }
            sources[source] = present
            let cutoff = t - retention
            for (ls, samples) in series {
                let kept = samples.filter { $0.t >= cutoff }
                if kept.isEmpty || (kept.count == 1 && StaleMarker.isStale(kept[0].v)) {
                    series[ls] = nil
                } else {
                    series[ls] = kept
                }
            }
        }
    }

    /// A random collection of `source`: a base set of series, some dropped, some with a changed
    /// label, sometimes reordered, sometimes a duplicate, sometimes a stale-marker value.
    static func collection(_ rng: inout SplitMix64, source: String, step: Int) -> [MetricFamily] {
        var samples: [Sample] = []
        for i in 0..<12 {
            if Int.random(in: 0..<10, using: &rng) == 0 { continue } // dropped this time
            var labels: Labels = ["src": source, "i": "\(i)"]
            if Int.random(in: 0..<8, using: &rng) == 0 { labels.set("mode", "\(Int.random(in: 0..<3, using: &rng))") }
            let value = Int.random(in: 0..<40, using: &rng) == 0 ? StaleMarker.value : Double(step * 100 + i)
            samples.append(Sample(labels, value))
        }
        if Int.random(in: 0..<5, using: &rng) == 0 { samples.shuffle(using: &rng) }
        if let first = samples.first, Int.random(in: 0..<10, using: &rng) == 0 { samples.append(first) }
        var families = [MetricFamily.gauge("g", "", samples)]
        if Int.random(in: 0..<3, using: &rng) != 0 {
            families.append(MetricFamily.gauge("h", "", [Sample(["src": source], Double(step))]))
        }
        return families
    }

    static func assertSame(_ h: SeriesHistory, _ r: Reference, known: Set<LabelSet>, at t: Int64) {
        #expect(h.seriesCount == r.series.count)
        #expect(h.outOfOrderSamples == r.outOfOrder)
        #expect(h.select([]) == r.series.keys.sorted())
        for ls in known {
            let expected = (r.series[ls] ?? []).filter { !StaleMarker.isStale($0.v) }
            let got = h.range(ls, after: Int64.min / 2, through: t)
            #expect(got.map(\.t) == expected.map(\.t), "\(ls)")
            #expect(got.map(\.v) == expected.map(\.v), "\(ls)")
            let newest = r.series[ls]?.last
            let latest = h.latest(ls, at: t, lookback: PromQL.lookbackDelta)
            if let newest, !StaleMarker.isStale(newest.v), newest.t > t - PromQL.lookbackDelta {
                #expect(latest?.t == newest.t && latest?.v == newest.v, "\(ls)")
            } else {
                #expect(latest == nil, "\(ls)")
            }
        }
    }

    @Test("random collections from three sources answer like the reference model", arguments: [1, 2, 3, 4] as [UInt64])
    func differential(seed: UInt64) {
        var rng = SplitMix64(state: seed)
        // Short retention, so series are pruned and slots freed and reused along the way.
        var h = SeriesHistory(retention: 40_000)
        var r = Reference(retention: 40_000)
        var known: Set<LabelSet> = []
        var t: Int64 = 1_000_000
        for step in 0..<120 {
            let source = ["pg", "redis", "app"][Int.random(in: 0..<3, using: &rng)]
            // Sometimes a source is silent long enough for its series to leave the history.
            t += Int.random(in: 0..<15, using: &rng) == 0 ? 60_000 : 5_000
            let families = Self.collection(&rng, source: source, step: step)
            for f in families { for s in f.samples { known.insert(LabelSet(name: f.name + s.suffix, labels: s.labels)) } }
            h.append(families: families, at: Self.date(t), source: source)
            r.collect(families, at: t, source: source)
            Self.assertSame(h, r, known: known, at: t)
        }
    }

    @Test("rule outputs: same staleness as collections, through label sets")
    func ruleOutputs() {
        var h = SeriesHistory(retention: 600_000)
        let a: LabelSet = ["__name__": "rec", "x": "1"], b: LabelSet = ["__name__": "rec", "x": "2"]
        h.append(samples: [(a, 1), (b, 2)], at: 10_000, source: "record;g;rec")
        h.append(samples: [(a, 3)], at: 20_000, source: "record;g;rec")
        #expect(h.latest(a, at: 20_000, lookback: 300_000)?.v == 3)
        #expect(h.latest(b, at: 20_000, lookback: 300_000) == nil)
        #expect(h.range(b, after: 0, through: 20_000).map(\.v) == [2])
        h.append(samples: [(a, 4), (b, 5)], at: 30_000, source: "record;g;rec")
        #expect(h.latest(b, at: 30_000, lookback: 300_000)?.v == 5)
    }

    @Test("a label that changes at the same position is a new series; the old one turns stale")
    func labelChange() {
        var h = SeriesHistory(retention: 600_000)
        h.append(families: [MetricFamily.gauge("g", "", [Sample(["mode": "a"], 1)])], at: Self.date(10_000), source: "s")
        h.append(families: [MetricFamily.gauge("g", "", [Sample(["mode": "b"], 2)])], at: Self.date(20_000), source: "s")
        let a = LabelSet(name: "g", labels: ["mode": "a"]), b = LabelSet(name: "g", labels: ["mode": "b"])
        #expect(h.latest(a, at: 20_000, lookback: 300_000) == nil)
        #expect(h.range(a, after: 0, through: 20_000).map(\.v) == [1])
        #expect(h.range(b, after: 0, through: 20_000).map(\.v) == [2])
        // A suffix is part of the identity too.
        h.append(families: [MetricFamily.gauge("g", "", [Sample(["mode": "b"], 3, suffix: "_total")])], at: Self.date(30_000), source: "s")
        #expect(h.latest(b, at: 30_000, lookback: 300_000) == nil)
        #expect(h.latest(LabelSet(name: "g_total", labels: ["mode": "b"]), at: 30_000, lookback: 300_000)?.v == 3)
    }

    @Test("a freed slot taken by another series is not written through a source's old position")
    func slotReuse() {
        var h = SeriesHistory(retention: 30_000)
        let x = LabelSet(name: "x", labels: Labels()), y = LabelSet(name: "y", labels: Labels())
        h.append(families: [MetricFamily.gauge("x", "", value: 1)], at: Self.date(10_000), source: "a")
        // Source b, long after: x leaves the history (its slot is freed), then y takes that slot.
        h.append(families: [MetricFamily.gauge("z", "", value: 5)], at: Self.date(100_000), source: "b")
        #expect(h.seriesCount == 1)
        h.append(families: [MetricFamily.gauge("z", "", value: 6), MetricFamily.gauge("y", "", value: 7)], at: Self.date(101_000), source: "b")
        // a again, with x at the position it had: x is a new series, y is untouched.
        h.append(families: [MetricFamily.gauge("x", "", value: 2)], at: Self.date(105_000), source: "a")
        #expect(h.seriesCount == 3)
        #expect(h.range(y, after: 0, through: 200_000).map(\.v) == [7])
        #expect(h.range(x, after: 0, through: 200_000).map(\.v) == [2])
        #expect(h.latest(y, at: 105_000, lookback: 300_000)?.v == 7)
    }
}
