import Testing
@testable import Rules

@Suite("Evaluator: Prometheus 3.x semantics and errors")
struct EvaluatorTests {
    static func history(_ series: [(LabelSet, [(Int64, Double)])]) -> SeriesHistory {
        var h = SeriesHistory(retention: Int64.max / 4)
        for (ls, pts) in series { for (t, v) in pts { h.append(ls, t: t, value: v) } }
        return h
    }

    static func eval(_ h: SeriesHistory, _ q: String, at t: Int64) throws -> [VectorSample] {
        try Evaluator.samples(of: Evaluator(history: h).instant(PromQL.parse(q), at: t))
    }

    static let x: LabelSet = ["__name__": "x", "a": "1"]

    @Test("range selectors are left-open (3.x): a sample exactly on the left edge is excluded")
    func leftOpenRange() throws {
        let h = Self.history([(Self.x, [(0, 1), (60_000, 2), (120_000, 3)])])
        // (0, 120s]: the sample at 0 is on the edge. Prometheus 2.x would count 3 samples.
        #expect(try Self.eval(h, "count_over_time(x[2m])", at: 120_000).map(\.value) == [2])
        #expect(try Self.eval(h, "count_over_time(x[120001ms])", at: 120_000).map(\.value) == [3])
        #expect(try Self.eval(h, "sum_over_time(x[1m] @ 120)", at: 0).map(\.value) == [3])
    }

    @Test("subquery steps are aligned and left-open (3.x)")
    func leftOpenSubquery() throws {
        let h = Self.history([(Self.x, (0...10).map { (Int64($0) * 60_000, Double($0)) })])
        // Steps in (4m, 10m] aligned to 2m: 6m, 8m, 10m.
        #expect(try Self.eval(h, "count_over_time(x[6m:2m])", at: 600_000).map(\.value) == [3])
        #expect(try Self.eval(h, "sum_over_time(x[6m:2m])", at: 600_000).map(\.value) == [24])
    }

    @Test("rate extrapolation follows 3.x order: edge limit first, then the counter's zero point")
    func rateOrder() throws {
        // Samples at 150 s…450 s every 100 s, range (0, 500]: durationToStart 150 ≥ 1.1×100, so
        // it becomes 50 (half an interval); the zero point (300×(100/300) = 100 s) is further.
        // 2.x took min(150, 100) = 100 < 110 and extrapolated by 100 s instead.
        let c: LabelSet = ["__name__": "c"]
        let h = Self.history([(c, [(150_000, 100), (250_000, 200), (350_000, 300), (450_000, 400)])])
        let inc = try Self.eval(h, "increase(c[500s])", at: 500_000)
        // (300 + 50 + 50) / 300 × 300 = 400.
        #expect(inc.map(\.value) == [400])
    }

    @Test("counter resets add the value before the drop")
    func counterReset() throws {
        let c: LabelSet = ["__name__": "c"]
        let h = Self.history([(c, [(10_000, 5), (20_000, 10), (30_000, 2), (40_000, 6)])])
        #expect(try Self.eval(h, "resets(c[1m])", at: 40_000).map(\.value) == [1])
        // Increase 10-5 + 2 + 4 = 11 over 30 s; start 10 s (< 1.1×10? no: 10 < 11 → kept, zero point
        // 30×5/11 ≈ 13.6 further), end 0 → 11 × 40/30.
        let inc = try Self.eval(h, "increase(c[40s])", at: 40_000)
        #expect(abs((inc.first?.value ?? 0) - 11.0 * 40 / 30) < 1e-12)
    }

    @Test("scalar() of several series is NaN; absent() builds labels from equality matchers")
    func scalarAbsent() throws {
        let h = Self.history([(Self.x, [(0, 1)]), (["__name__": "x", "a": "2"], [(0, 2)])])
        #expect(try Self.eval(h, "scalar(x)", at: 1000).first?.value.isNaN == true)
        let absent = try Self.eval(h, "absent(nope{job=\"j\", a=~\"b\", c=\"1\", c=\"2\"})", at: 1000)
        #expect(absent.map(\.labels) == [["job": "j"]])
    }

    @Test("matching errors are reported as Prometheus words them", arguments: [
        ("x * on() y", "found duplicate series for the match group"),
        ("y * on() group_left x", "found duplicate series for the match group"),
        ("{__name__=~\"x|w\", a=\"1\"} + on() group_left z", "multiple matches for labels: grouping labels must ensure unique matches"),
        ("label_replace(x, \"a\", \"same\", \"a\", \".*\")", "vector cannot contain metrics with the same labelset"),
    ])
    func matchingErrors(_ q: String, _ message: String) {
        let h = Self.history([
            (Self.x, [(0, 1)]), (["__name__": "x", "a": "2"], [(0, 2)]),
            (["__name__": "y", "b": "1"], [(0, 1)]), (["__name__": "y", "b": "2"], [(0, 1)]),
            (["__name__": "z", "b": "k"], [(0, 1)]), (["__name__": "w", "a": "1"], [(0, 1)]),
        ])
        do {
            let r = try Self.eval(h, q, at: 1000)
            Issue.record("no error, got \(r)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test("range queries evaluate every step")
    func rangeQuery() throws {
        let h = Self.history([(Self.x, (0...5).map { (Int64($0) * 60_000, Double($0)) })])
        let m = try Evaluator(history: h).range(PromQL.parse("x * 2"), start: 0, end: 300_000, step: 60_000)
        #expect(m.count == 1)
        #expect(m[0].points.map(\.v) == [0, 2, 4, 6, 8, 10])
        #expect(m[0].labels == ["a": "1"])
    }

    @Test("comparison keeps the metric name, arithmetic and bool drop it")
    func nameDropping() throws {
        let h = Self.history([(Self.x, [(0, 5)])])
        #expect(try Self.eval(h, "x > 1", at: 0).first?.labels.metricName == "x")
        #expect(try Self.eval(h, "x + 1", at: 0).first?.labels.metricName == nil)
        #expect(try Self.eval(h, "x > bool 1", at: 0).first?.labels.metricName == nil)
        #expect(try Self.eval(h, "last_over_time(x[1m])", at: 0).first?.labels.metricName == "x")
    }
}

@Suite("Evaluator bounds")
struct EvaluatorBoundsTests {
    @Test("oversized subqueries and range queries are errors, not hangs")
    func bounds() throws {
        let e = Evaluator(history: SeriesHistory())
        #expect(throws: EvalError.self) { try e.instant(PromQL.parse("max_over_time(x[1y:1s])"), at: 0) }
        #expect(throws: EvalError.self) { try e.range(PromQL.parse("x"), start: 0, end: 86_400_000, step: 1) }
        #expect(throws: PromQLError.self) { try PromQL.parse("x[99999999999999999y]") }
        #expect(throws: SeriesNotation.Failure.self) { try SeriesNotation.values("1+1x100000000000") }
    }
}
