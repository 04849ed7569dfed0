import Testing
@testable import Rules

/// Prometheus 3.x duration syntax: numbers and durations interchangeable (3.0) and duration
/// expressions in ranges, subquery steps and offsets (on by default since 3.14).
@Suite("PromQL 3.x numbers, durations and duration expressions")
struct DurationSyntaxTests {
    static func same(_ a: String, _ b: String) throws -> Bool {
        try PromQL.parse(a) == PromQL.parse(b)
    }

    @Test("a number where a duration is expected means seconds, a duration where a number is expected is seconds",
          arguments: [("metric @ 100s", "metric @ 100"), ("rate(x[100])", "rate(x[1m40s])"), ("x offset 50", "x offset 50s"),
                      ("x[1h:60]", "x[1h:1m]"), ("predict_linear(x[5m], 1h)", "predict_linear(x[5m], 3600)"),
                      ("x[1.5]", "x[1500ms]"), ("x offset -50", "x offset -50s"), ("1h + 1", "3600 + 1"),
                      ("sum_over_time(x[30:10] offset 3)", "sum_over_time(x[30s:10s] offset 3s)")])
    func interchangeable(_ a: String, _ b: String) throws {
        #expect(try Self.same(a, b))
    }

    @Test("constant duration expressions fold to the duration they compute",
          arguments: [("x[26m+4m]", "x[30m]"), ("x offset (1h - 5m)", "x offset 55m"), ("x[5m * 2]", "x[10m]"),
                      ("x[60*30]", "x[30m]"), ("x[2m*(10+5)]", "x[30m]"), ("x[-5m+35m]", "x[30m]"),
                      ("x[30m1s-30m1s % 1m]", "x[30m]"), ("x[1h30m % 1h]", "x[30m]"), ("x[min_of(1h, 30m)]", "x[30m]"),
                      ("x[max_of(10m, 30m)]", "x[30m]"), ("x[29s+1s:5s+5s]", "x[30s:10s]"),
                      ("x offset -(2m * 2)", "x offset -4m"), ("x offset (-2 ^ 2)", "x offset -4s")])
    func folds(_ a: String, _ b: String) throws {
        #expect(try Self.same(a, b))
    }

    @Test("offset takes one term: the operator after it applies to the selector",
          arguments: [("x offset 100 + 2", BinaryOp.add, Int64(100_000)), ("x offset 2 ^ 2", .pow, 2_000),
                      ("x offset -2 * 2", .mul, -2_000), ("x offset (2 * 2)", nil, 4_000), ("x offset -(2 * 2)", nil, -4_000)])
    func offsetBindsOneTerm(_ input: String, _ op: BinaryOp?, _ offset: Int64) throws {
        let e = try PromQL.parse(input)
        var selector = e
        if case .binary(let b) = e {
            #expect(b.op == op)
            selector = b.lhs
        } else {
            #expect(op == nil)
        }
        guard case .vectorSelector(let s) = selector else { Issue.record("\(input): \(e)"); return }
        #expect(s.offset == offset)
    }

    @Test("step() and range() stay in the tree until evaluation")
    func dynamicKept() throws {
        guard case .matrixSelector(let s, _) = try PromQL.parse("x[step() + 1]") else { Issue.record("not a matrix selector"); return }
        #expect(s.rangeExpr == .binary(.add, .step, .number(1)))
        guard case .vectorSelector(let v) = try PromQL.parse("x offset min_of(range(), 8s)") else { Issue.record("not a selector"); return }
        #expect(v.offsetExpr == .minOf(.range, .duration(8000)))
        guard case .subquery(let q) = try PromQL.parse("x[1h:STEP()]") else { Issue.record("not a subquery"); return }
        #expect(q.stepExpr == .step)
    }

    @Test("durations render as PromQL: duration literals as written, folded ones in Prometheus' notation",
          arguments: [("x[5m + step()]", "x[(5m + step())]"), ("x[step()]", "x[step()]"),
                      ("x offset -step()", "x offset -step()"), ("x offset (1h - range())", "x offset (1h - range())"),
                      ("x[1h:min_of(step(), 30s)]", "x[1h:min_of(step(), 30s)]"), ("x[2 * step()]", "x[(2 * step())]"),
                      ("x[26m+4m]", "x[30m]"), ("x[300]", "x[5m]"), ("x offset -90", "x offset -1m30s"),
                      ("rate(x[5m:(30s)])", "rate(x[5m:30s])"), ("x[1h30m + step()]", "x[(1h30m + step())]"),
                      ("x[-5m + 2 * step()]", "x[(-5m + (2 * step()))]")])
    func renders(_ input: String, _ expected: String) throws {
        let e = try PromQL.parse(input)
        #expect(e.description == expected)
        #expect(try PromQL.parse(e.description) == e, "\(expected) does not parse back to the same tree")
    }

    @Test("a number of seconds becomes Go's nanoseconds, then whole milliseconds truncated, as Prometheus' engine uses it",
          arguments: [("x[0.0015]", Int64(1)), ("x[0.0019]", 1), ("x[1.0009]", 1000), ("x[0.9999999]", 999),
                      ("x[0.9999999999]", 1000), ("x[0.0005]", 0)])
    func subMillisecond(_ input: String, _ ms: Int64) throws {
        guard case .matrixSelector(_, let range) = try PromQL.parse(input) else { Issue.record("not a matrix selector"); return }
        #expect(range == ms)
    }

    @Test("a sub-millisecond offset truncates like Prometheus' durationMilliseconds", arguments: [
        ("x offset 0.0019", Int64(1)), ("x offset -0.0019", -1), ("x offset 0.0004", 0),
    ])
    func subMillisecondOffset(_ input: String, _ ms: Int64) throws {
        guard case .vectorSelector(let v) = try PromQL.parse(input) else { Issue.record("not a selector"); return }
        #expect(v.offset == ms)
    }

    @Test("invalid durations are positioned errors with Prometheus' messages",
          arguments: [("x[0]", 2, "duration must be greater than 0"), ("x[5m-10m]", 2, "duration must be greater than 0"),
                      ("x[1h/0]", 4, "division by zero"), ("x[1h%0]", 4, "modulo by zero"),
                      ("x[1h:0]", 5, "duration must be greater than 0"), ("x[1e20]", 2, "duration out of range"),
                      ("x[foo]", 2, "unexpected identifier \"foo\" in subquery or range selector, expected number, duration, step(), or range()"),
                      ("x offset foo", 9, "unexpected identifier \"foo\" in offset, expected number, duration, step(), or range()"),
                      ("x[5m 1]", 5, "unexpected number \"1\" in subquery or range, expected \":\" or \"]\""),
                      ("x[5m:foo]", 5, "unexpected identifier \"foo\" in subquery selector, expected number, duration, step(), range(), or \"]\""),
                      ("x[5m+]", 5, "unexpected \"]\" in duration expression, expected number, duration, step(), or range()"),
                      ("x[(5m]", 5, "unexpected \"]\" in duration expression, expected \")\""),
                      ("x[5m:0.0005]", 5, "subquery step must be at least 1ms")])
    func errors(_ input: String, _ offset: Int, _ message: String) {
        do {
            _ = try PromQL.parse(input)
            Issue.record("\(input) parsed")
        } catch {
            #expect(error.offset == offset, "\(input): \(error)")
            #expect(error.message == message, "\(input): \(error)")
        }
    }

    @Test("a duration expression nested past the depth limit is refused, not a crash")
    func depth() {
        let deep = "x[" + String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200) + "]"
        #expect(throws: PromQLError.self) { try PromQL.parse(deep) }
        let chain = "x[" + Array(repeating: "1", count: 200).joined(separator: "+") + "]"
        #expect(throws: PromQLError.self) { try PromQL.parse(chain) }
        let unary = "x[" + String(repeating: "-", count: 200) + "1]"
        #expect(throws: PromQLError.self) { try PromQL.parse(unary) }
        let ok = "x[" + Array(repeating: "1", count: 30).joined(separator: "+") + "]"
        #expect((try? PromQL.parse(ok)) != nil)
    }

    @Test("a duration that depends on the query is checked when evaluated")
    func dynamicErrors() throws {
        let e = Evaluator(history: SeriesHistory(retention: 1_000_000))
        // An instant query: step() = 0, so the range is not positive.
        #expect(throws: EvalError.self) { try e.instant(PromQL.parse("count_over_time(x[step()])"), at: 60_000) }
        #expect(throws: EvalError.self) { try e.instant(PromQL.parse("x offset (1h / step())"), at: 60_000) }
        #expect((try? e.instant(PromQL.parse("x offset step()"), at: 60_000)) != nil)
    }
}
