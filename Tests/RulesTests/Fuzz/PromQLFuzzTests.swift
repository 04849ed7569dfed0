import Foundation
import Testing
import VigilTestSupport
@testable import Rules

/// A seeded, bounded mutation run over the PromQL parser, renderer and evaluator, from a
/// corpus of real expressions (shipped rules and rule fixtures). Properties: no crash, no case
/// slower than a generous bound, accepted expressions render to text that parses back to the
/// same rendering, evaluation gives a value or an `EvalError`.
@Suite("PromQL fuzz")
struct PromQLFuzzTests {
    static let pieces = [
        "(", ")", "[", "]", "{", "}", ",", ":", "@", "+", "-", "*", "/", "%", "^", "==", "!=", ">", "<=", " and ", " or ",
        " unless ", " bool ", " on(job) ", " ignoring(instance) ", " group_left ", " group_right(job) ", " by (job) ",
        " without (instance) ", "sum(", "rate(", "abs(", "topk(3, ", "quantile(0.5, ", "count_values(\"v\", ", "absent(",
        "histogram_quantile(0.9, ", "label_replace(", "label_join(", "max_over_time(", "[5m]", "[1h:1m]", "[10s:1ms]",
        " offset 5m", " offset -1h", " @ 100", " @ start()", " @ end()", "1e308", "-1e308", "NaN", "Inf", "0x7fffffffffffffff",
        "9223372036854775807", "999999999999y", "0s", "1ms", "\"a\"", "'b'", "`c`", "\"\\xff\"", "\"\\u00e9\"", "=~\".*\"",
        "!~\"(a|b)+\"", "up", "job", "__name__", "le", "vector(1)", "scalar(up)", "time()", "-", "#x\n", " ",
    ]

    /// Expressions of the seed corpus, plus their selector names (to give the history data).
    static let corpus: (exprs: [String], names: Set<String>) = {
        var exprs: [String] = []
        var names: Set<String> = ["up", "x"]
        for path in Fuzz.ruleFiles {
            guard let file = try? RuleFile.load(path: path) else { continue }
            for g in file.groups {
                for r in g.rules {
                    switch r {
                    case .alerting(let a): exprs.append(a.exprText)
                    case .recording(let rr): exprs.append(rr.exprText)
                    }
                    collectNames(r.expr, into: &names)
                }
            }
        }
        exprs += ["sum by (job) (rate(up[5m]))", "x[1h:1m] offset 5m", "-x ^ 2", "max_over_time(max_over_time(up[10m:1m])[30m:5m])",
                  "label_replace(up, \"dst\", \"$1\", \"job\", \"(.*)\")", "histogram_quantile(0.9, sum by (le) (rate(x[5m])))"]
        return (exprs, names)
    }()

    static func collectNames(_ e: Expr, into names: inout Set<String>) {
        switch e {
        case .number, .string: break
        case .vectorSelector(let s), .matrixSelector(let s, _): if let n = s.name { names.insert(n) }
        case .subquery(let s): collectNames(s.expr, into: &names)
        case .paren(let x), .unaryMinus(let x): collectNames(x, into: &names)
        case .binary(let b): collectNames(b.lhs, into: &names); collectNames(b.rhs, into: &names)
        case .aggregate(let a): collectNames(a.expr, into: &names); if let p = a.param { collectNames(p, into: &names) }
        case .call(let c): for a in c.args { collectNames(a, into: &names) }
        }
    }

    /// Two series per name over 20 minutes at 15 s, counters rising with one reset, buckets.
    static let history: SeriesHistory = {
        var h = SeriesHistory(retention: Int64.max / 4)
        for name in corpus.names.sorted() {
            for i in 0..<2 {
                let labels: LabelSet = ["__name__": name, "job": "j\(i)", "instance": "h\(i):9", "le": i == 0 ? "0.5" : "+Inf"]
                for step in 0...80 {
                    let v = step == 40 ? 1.0 : Double(step * (i + 1))
                    _ = h.append(labels, t: Int64(step) * 15_000, value: v)
                }
            }
        }
        return h
    }()

    /// Evaluation work as the product of enclosing subquery steps, summed over selectors.
    static func cost(_ e: Expr, _ outer: Int64 = 1) -> Int64 {
        switch e {
        case .number, .string: return 1
        case .vectorSelector, .matrixSelector: return outer
        case .subquery(let s):
            let steps = s.range / max(1, s.step > 0 ? s.step : 60_000) + 1
            let (m, overflow) = outer.multipliedReportingOverflow(by: steps)
            return overflow ? Int64.max : cost(s.expr, m)
        case .paren(let x), .unaryMinus(let x): return cost(x, outer)
        case .binary(let b): return cost(b.lhs, outer).addingReportingOverflow(cost(b.rhs, outer)).partialValue
        case .aggregate(let a): return cost(a.expr, outer) + (a.param.map { cost($0, outer) } ?? 0)
        case .call(let c): return c.args.reduce(Int64(1)) { $0.addingReportingOverflow(cost($1, outer)).partialValue }
        }
    }

    /// The tree without `.paren` nodes (recursion bounded by the parser's depth limit).
    static func stripParens(_ e: Expr) -> Expr {
        switch e {
        case .number, .string, .vectorSelector, .matrixSelector: return e
        case .paren(let x): return stripParens(x)
        case .unaryMinus(let x): return .unaryMinus(stripParens(x))
        case .subquery(var s): s.expr = stripParens(s.expr); return .subquery(s)
        case .binary(var b): b.lhs = stripParens(b.lhs); b.rhs = stripParens(b.rhs); return .binary(b)
        case .aggregate(var a): a.expr = stripParens(a.expr); a.param = a.param.map(stripParens); return .aggregate(a)
        case .call(var c): c.args = c.args.map(stripParens); return .call(c)
        }
    }

    /// Runs one input through every property; returns what went wrong, if anything.
    static func check(_ text: String) -> String? {
        Fuzz.trace(text)
        let start = ContinuousClock.now
        defer { _ = start }
        guard let e = try? PromQL.parse(text) else { return nil }
        let rendered = e.description
        do {
            // The rendering parenthesises every binary operation: equal modulo parentheses.
            let again = try PromQL.parse(rendered)
            let a = stripParens(e).description, b = stripParens(again).description
            if a != b { return "rendering does not parse back to the same tree: \(a) → \(b)" }
        } catch {
            // Rendering parenthesises every binary operation, so near the limit it may nest deeper.
            if !error.message.contains("nested too deeply") { return "rendering \(rendered) does not parse: \(error)" }
        }
        // Evaluation cost is another engineer's budget; keep the fuzz run itself bounded.
        guard cost(e) <= 20_000 else { return nil }
        let evaluator = Evaluator(history: history)
        for t: Int64 in [0, 600_000, 1_200_000] {
            _ = try? evaluator.instant(e, at: t)
        }
        _ = try? evaluator.range(e, start: 0, end: 1_200_000, step: 300_000)
        return nil
    }

    @Test("mutated real expressions never crash or hang the parser, renderer or evaluator")
    func mutations() {
        let seed = Fuzz.seed, count = Fuzz.cases(3_000)
        print("PromQL fuzz: seed \(seed), \(count) cases, corpus \(Self.corpus.exprs.count) expressions")
        var rng = SplitMix64(state: seed)
        var parsed = 0, slowest = Duration.zero
        for i in 0..<count {
            var text = rng.pick(Self.corpus.exprs)
            for _ in 0..<(1 + rng.below(4)) {
                text = Fuzz.mutate(text, &rng, pieces: Self.pieces, corpus: Self.corpus.exprs)
            }
            let start = ContinuousClock.now
            if let problem = Self.check(text) {
                Issue.record("case \(i) (seed \(seed)): \(problem)\ninput: \(text)")
            }
            let took = ContinuousClock.now - start
            slowest = max(slowest, took)
            if took > .seconds(5) { Issue.record("case \(i) (seed \(seed)) took \(took): \(text)") }
            if (try? PromQL.parse(text)) != nil { parsed += 1 }
        }
        print("PromQL fuzz: \(parsed) of \(count) mutated inputs parsed; slowest case \(slowest)")
        #expect(parsed > count / 20, "the mutator should keep a fair share of inputs valid")
    }

    /// Inputs the fuzzer (or an attacker) found: each must pass `check` on every replay.
    static let findings: [String] = {
        let dir = FixtureFiles.path("fuzz/promql")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { "\(dir)/\($0)" }
    }()

    @Test("fuzz findings replay without a crash, hang or unstable rendering", arguments: findings)
    func replay(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = ContinuousClock.now
        #expect(Self.check(text) == nil)
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
