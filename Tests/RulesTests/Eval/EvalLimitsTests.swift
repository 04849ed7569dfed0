import Testing
@testable import Rules

/// The limits of an API query: deadline, sample budget and cancellation reach into nested
/// subqueries; without limits (rules) and with generous ones, results are unchanged.
@Suite("Evaluator limits: deadline, sample budget, cancellation")
struct EvalLimitsTests {
    static let x: LabelSet = ["__name__": "x", "a": "1"]
    static let y: LabelSet = ["__name__": "x", "a": "2"]

    static func history() -> SeriesHistory {
        var h = SeriesHistory(retention: Int64.max / 4)
        for i in 0...600 {
            h.append(x, t: Int64(i) * 1000, value: Double(i))
            h.append(y, t: Int64(i) * 1000, value: Double(600 - i))
        }
        return h
    }

    /// 10,000 × 10,000 inner steps: hours of work without a limit.
    static let heavy = "max_over_time(max_over_time(x[10s:1ms])[10s:1ms])"

    @Test("a deadline stops a nested subquery soon after it passes, as Prometheus words it")
    func deadline() throws {
        let expr = try PromQL.parse(Self.heavy)
        let limits = EvalLimits(deadline: .now + .milliseconds(200))
        let start = ContinuousClock.now
        #expect {
            _ = try Evaluator(history: Self.history(), limits: limits).instant(expr, at: 600_000)
        } throws: { error in
            (error as? EvalError) == EvalError("query timed out in expression evaluation", kind: .timeout)
        }
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(200))
        #expect(took < .seconds(2), "stopped \(took) after the start; the deadline was 200 ms")
    }

    @Test("a deadline already past fails before any work")
    func pastDeadline() throws {
        let limits = EvalLimits(deadline: .now - .seconds(1))
        #expect(throws: EvalError.timedOut(in: "expression evaluation")) {
            _ = try Evaluator(history: Self.history(), limits: limits).instant(PromQL.parse("x"), at: 600_000)
        }
    }

    @Test("the sample budget counts across nested subqueries and stops with Prometheus' message")
    func sampleBudget() throws {
        let expr = try PromQL.parse(Self.heavy)
        let limits = EvalLimits(maxSamples: 100_000)
        let start = ContinuousClock.now
        #expect {
            _ = try Evaluator(history: Self.history(), limits: limits).instant(expr, at: 600_000)
        } throws: { error in
            let e = error as? EvalError
            return e?.kind == .tooManySamples
                && e?.message == "query processing would load too many samples into memory in query execution"
        }
        #expect(limits.samplesCounted > 100_000)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("range selections count every point, instant selections every series")
    func counting() throws {
        let h = Self.history()
        let m = EvalLimits()
        _ = try Evaluator(history: h, limits: m).instant(PromQL.parse("sum_over_time(x[1m])"), at: 600_000)
        #expect(m.samplesCounted == 120)  // 60 points (left-open) of each of the 2 series
        let v = EvalLimits()
        _ = try Evaluator(history: h, limits: v).instant(PromQL.parse("x + x"), at: 600_000)
        #expect(v.samplesCounted == 4)
        let s = EvalLimits()
        _ = try Evaluator(history: h, limits: s).instant(PromQL.parse("max_over_time(x[10s:1s])"), at: 600_000)
        #expect(s.samplesCounted == 40)  // 10 steps × 2 series loaded, and 10 × 2 produced
        // Exactly at the budget is fine; one over is not.
        _ = try Evaluator(history: h, limits: EvalLimits(maxSamples: 120)).instant(PromQL.parse("sum_over_time(x[1m])"), at: 600_000)
        #expect(throws: EvalError.self) {
            _ = try Evaluator(history: h, limits: EvalLimits(maxSamples: 119)).instant(PromQL.parse("sum_over_time(x[1m])"), at: 600_000)
        }
    }

    @Test("cancel stops an evaluation running on another thread")
    func cancel() async throws {
        let expr = try PromQL.parse(Self.heavy)
        let limits = EvalLimits()
        let h = Self.history()
        let task = Task.detached { () -> EvalError? in
            do {
                _ = try Evaluator(history: h, limits: limits).instant(expr, at: 600_000)
                return nil
            } catch {
                return error as? EvalError
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        limits.cancel()
        let error = await task.value
        #expect(error?.kind == .canceled)
        #expect(error?.message == "query was canceled in expression evaluation")
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("without limits and with generous ones the results are the same", arguments: [
        "x", "sum(x)", "rate(x[1m])", "max_over_time(x[1m:5s])", "avg_over_time(sum(x)[2m:10s])",
        "x > 300", "topk(1, x)", "quantile_over_time(0.5, x[5m])", "x / on(a) (x + 1)",
    ])
    func unchanged(query: String) throws {
        let h = Self.history()
        let expr = try PromQL.parse(query)
        let free = try Evaluator(history: h).instant(expr, at: 600_000)
        let limited = try Evaluator(history: h, limits: EvalLimits(deadline: .now + .seconds(60))).instant(expr, at: 600_000)
        #expect(free == limited)
    }
}
