import Testing
@testable import Rules

/// One regression test per class of disagreement with Prometheus' engine found by the
/// differential run against promtool (issue 14). Data as in the issue:
/// `c{job="a"} 0+10x30`, `b{job="a",le="1"} 0+3x30`, `b{job="a",le="+Inf"} 0+5x30`, 1m apart.
@Suite("PromQL parity with Prometheus' engine")
struct PromQLParityTests {
    static let c: LabelSet = ["__name__": "c", "job": "a"]
    static let g: LabelSet = ["__name__": "g", "job": "a"]
    static let b1: LabelSet = ["__name__": "b", "job": "a", "le": "1"]
    static let bInf: LabelSet = ["__name__": "b", "job": "a", "le": "+Inf"]

    static func issueData() -> SeriesHistory {
        var h = SeriesHistory(retention: Int64.max / 4)
        for i in 0...30 {
            let t = Int64(i) * 60_000
            h.append(c, t: t, value: Double(i * 10))
            h.append(g, t: t, value: Double(-i))
            h.append(b1, t: t, value: Double(i * 3))
            h.append(bInf, t: t, value: Double(i * 5))
            // A second histogram with the same labels under another name.
            h.append(["__name__": "d", "job": "a", "le": "1"], t: t, value: Double(i))
            h.append(["__name__": "d", "job": "a", "le": "+Inf"], t: t, value: Double(i * 2))
        }
        return h
    }

    static func eval(_ q: String, at t: Int64, _ h: SeriesHistory = issueData()) throws -> [VectorSample] {
        try Evaluator.samples(of: Evaluator(history: h).instant(PromQL.parse(q), at: t))
    }

    static func error(_ q: String, at t: Int64 = 1_000_000, _ h: SeriesHistory = issueData()) -> String? {
        do {
            _ = try eval(q, at: t, h)
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func values(_ q: String, at t: Int64 = 1_000_000) throws -> [Double] {
        try eval(q, at: t).map(\.value)
    }

    // 1. Extrapolation at the @ time.

    @Test("rate, increase and delta with @ extrapolate to the range of the @ time, not the evaluation time",
          arguments: [("increase(c[5m] @ 613)", 50.0), ("delta(c[5m] @ 613)", 50), ("rate(c[5m] @ 613)", 50.0 / 300),
                      ("increase(c[5m] @ 673 offset 1m)", 50), ("increase(c[5m:1m] @ 613)", 50)])
    func rateAtModifier(_ q: String, _ expected: Double) throws {
        // Range (313 s, 613 s]: samples 360…600 s (60…100), 47 s to the start, 13 s to the end:
        // 40 × 300 / 240 = 50 whatever the evaluation time.
        for t: Int64 in [613_000, 1_000_000, 1_800_000] {
            let v = try Self.values(q, at: t)
            #expect(v.count == 1)
            #expect(abs((v.first ?? .nan) - expected) < 1e-9, "\(q) at \(t): \(v)")
        }
    }

    @Test("a subquery at end() of a range query extrapolates at end()")
    func rateAtEndInRangeQuery() throws {
        let e = Evaluator(history: Self.issueData())
        let r = try e.range(PromQL.parse("increase(c[5m] @ end())"), start: 0, end: 613_000, step: 60_000)
        #expect(r.count == 1)
        #expect(r.first?.points.allSatisfy { abs($0.v - 50) < 1e-9 } == true, "\(r)")
    }

    // 2. An empty side of a binary operation.

    @Test("a vector operation with an empty side returns nothing instead of a matching error",
          arguments: ["nonexistent * on (job) b", "b * on (job) nonexistent", "nonexistent + on (job) group_left b", "b / ignoring (le) group_right nonexistent"])
    func emptySide(_ q: String) throws {
        #expect(try Self.eval(q, at: 1_000_000).isEmpty)
    }

    @Test("the matching check still applies when both sides have samples")
    func matchingStillChecked() {
        #expect(Self.error("c * on (job) b")?.contains("found duplicate series for the match group") == true)
    }

    // 3. Duplicate label sets.

    @Test("an operation whose result holds one label set twice is an error",
          arguments: ["-{__name__=~\"c|g\"}", "{__name__=~\"c|g\"} * 2", "abs({__name__=~\"c|g\"})",
                      "rate({__name__=~\"c|g\"}[5m])", "timestamp({__name__=~\"c|g\"})",
                      "histogram_quantile(0.5, {__name__=~\"b|d\"})"])
    func duplicateLabelSets(_ q: String) {
        #expect(Self.error(q) == "vector cannot contain metrics with the same labelset")
    }

    @Test("histogram_quantile of one metric name still works and drops the name")
    func histogramQuantileOneName() throws {
        let r = try Self.eval("histogram_quantile(0.5, b)", at: 600_000)
        #expect(r.map(\.labels) == [["job": "a"]])
        // 50 observations, 30 in le=1: rank 25 lies in the first bucket at 25/30.
        #expect(abs((r.first?.value ?? 0) - 25.0 / 30) < 1e-12)
    }

    // 4. count_values labels and grouping.

    @Test("count_values writes values as Go's FormatFloat(v, 'f', -1, 64)",
          arguments: [(1e21, "1000000000000000000000"), (1e-20, "0.00000000000000000001"),
                      (0x1p70, "1180591620717411300000"), (1.2345678912345e-7, "0.00000012345678912345"),
                      (-0.5, "-0.5"), (100, "100"), (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN")])
    func countValuesText(_ v: Double, _ text: String) throws {
        var h = SeriesHistory(retention: Int64.max / 4)
        h.append(["__name__": "v"], t: 0, value: v)
        let r = try Self.eval("count_values(\"value\", v)", at: 0, h)
        #expect(r.map(\.labels) == [["value": text]])
    }

    @Test("count_values sets its label before grouping: without may remove it, by always keeps it")
    func countValuesGrouping() throws {
        let without = try Self.eval("count_values without (le) (\"le\", b)", at: 600_000)
        #expect(without.map(\.labels) == [["job": "a"]])
        #expect(without.map(\.value) == [2])
        let by = try Self.eval("count_values by (le) (\"le\", b)", at: 600_000)
        #expect(Set(by.map(\.labels)) == [["le": "30"], ["le": "50"]])
        let overwrite = try Self.eval("count_values(\"job\", c)", at: 600_000)
        #expect(overwrite.map(\.labels) == [["job": "100"]])
    }

    // 5. topk/bottomk parameters.

    @Test("topk and bottomk reject k = NaN and k beyond int64 as Prometheus does",
          arguments: [("topk(NaN, c)", "Parameter value is NaN"),
                      ("bottomk(9223372036854775808, c)", "Scalar value 9.223372036854776e+18 overflows int64"),
                      ("topk(1e300, c)", "Scalar value 1e+300 overflows int64"),
                      ("topk(+Inf, c)", "Scalar value +Inf overflows int64")])
    func topkBounds(_ q: String, _ message: String) {
        #expect(Self.error(q) == message)
    }

    @Test("topk with k below 1 selects nothing; a huge but valid k selects everything")
    func topkSmallAndLarge() throws {
        #expect(try Self.eval("topk(0.9, c)", at: 600_000).isEmpty)
        #expect(try Self.eval("topk(-Inf, c)", at: 600_000).isEmpty)
        #expect(try Self.eval("bottomk(1e18, {__name__=~\"c|b\"})", at: 600_000).count == 3)
    }

    // 6. Means that start at an infinity.

    @Test("avg and avg_over_time of values starting at ±Inf are ±Inf, not NaN",
          arguments: [[Double.infinity, 1, 2], [-.infinity, 5], [.infinity], [1, .infinity, 3]])
    func infiniteMeans(_ values: [Double]) throws {
        var h = SeriesHistory(retention: Int64.max / 4)
        for (i, v) in values.enumerated() {
            h.append(["__name__": "m", "i": "\(i)"], t: 0, value: v)
            h.append(["__name__": "s"], t: Int64(i) * 10_000, value: v)
        }
        let expected = values.contains(.infinity) ? Double.infinity : -.infinity
        let t = Int64(values.count - 1) * 10_000
        #expect(try Self.eval("avg(m)", at: t, h).map(\.value) == [expected])
        #expect(try Self.eval("avg_over_time(s[1m])", at: t, h).map(\.value) == [expected])
    }

    // 7. Date functions truncate toward zero.

    @Test("date functions truncate fractional seconds toward zero like Go's int64 conversion",
          arguments: [("hour(vector(-0.5))", 0.0), ("minute(vector(-0.5))", 0), ("year(vector(-0.5))", 1970),
                      ("day_of_week(vector(-0.5))", 4), ("day_of_month(vector(-0.9))", 1), ("month(vector(-0.9))", 1),
                      ("hour(vector(-3600.5))", 23), ("day_of_year(vector(-86400.5))", 365), ("hour(vector(3599.9))", 0)])
    func dateTruncation(_ q: String, _ expected: Double) throws {
        #expect(try Self.values(q, at: 0) == [expected])
    }
}
