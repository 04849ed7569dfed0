import Foundation
@testable import Rules

/// A runner for Prometheus' promqltest format (`promql/promqltest/testdata/*.test`), written
/// after its README and `promqltest/test.go`: lines are trimmed, `#` lines are blank, a command's
/// block ends at a blank line. Commands: `load[_with_nhcb] <interval>`, `clear`,
/// `eval[_fail|_warn|_info|_ordered] instant at <t> <expr>`,
/// `eval[_fail|_warn|_info] range from <t> to <t> step <d> <expr>`; in a block `expect fail|ordered
/// [msg:|regex: …]`, `expect warn|info|no_warn|no_info …` (not checked: Vigil has no annotations),
/// `expected_fail_message`/`expected_fail_regexp` (end the block), `expect range vector from … to …
/// step …`, `expect string "…"`, a bare number (a scalar result, ends the block) and series lines.
///
/// As promqltest does, an instant eval is also run as a range query from t-1m to t+1m (its middle
/// step must give the same answer) and, unless it calls a function whose result depends on the
/// evaluation time, with `@ t` put on every selector and subquery at the times -10t, 0, t/5, t
/// and 10t (or -1s, 0 and 1s for t = 0). Values compare as promqltest's `almost.Equal` (relative
/// 1e-6, NaN equals NaN).
///
/// Evals Vigil cannot run by design are counted as skipped with a reason instead of run:
/// native histograms (a `{{…}}` sample in the data an expression selects or in the expectation,
/// and the series `load_with_nhcb` derives) and syntax behind Prometheus feature flags
/// (experimental functions, extended range selectors, fill modifiers) unless the eval expects
/// the failure a stock Prometheus gives. `outOfScope` lists further evals by line with a reason.
struct PromQLTestScript {
    struct Failure: CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    struct Outcome {
        var failures: [Failure] = []
        /// Evals run (passed or failed).
        var evals = 0
        /// Evals not run, by reason.
        var skipped: [String: Int] = [:]
        var passed: Int { evals - Set(failures.map(\.line)).count }
    }

    private struct Expected {
        var labels: LabelSet?
        var values: [Double?]
        var native: Bool
        var position: Int
    }

    private struct Eval {
        var line: Int
        var expr: String
        var at: Int64 = 0
        var range: (start: Int64, end: Int64, step: Int64)?
        var shouldFail = false
        var failMessage: String?
        var failRegexp: String?
        var ordered = false
        var expectScalar = false
        var expectString: String?
        /// `expect range vector from … to … step …`: the timestamps of a matrix result.
        var matrixGrid: (start: Int64, end: Int64, step: Int64)?
        var expected: [Expected] = []
        var excludeFromRangeQuery = false
    }

    private struct ScriptError: Error, CustomStringConvertible { var description: String }

    /// Runs every command of `text`. `outOfScope`: 1-based eval line → reason, for evals that
    /// are skipped although they parse.
    static func run(_ text: String, outOfScope: [Int: String] = [:]) -> Outcome {
        var history = SeriesHistory(retention: Int64.max / 4)
        var native: [LabelSet] = []
        var out = Outcome()
        let lines = text.components(separatedBy: "\n").map { raw -> String in
            let t = raw.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("#") ? "" : t
        }
        func fail(_ line: Int, _ m: String) { out.failures.append(Failure(line: line + 1, message: m)) }
        func block(from start: Int) -> (lines: [(Int, String)], next: Int) {
            var body: [(Int, String)] = []
            var j = start
            while j < lines.count, !lines[j].isEmpty {
                body.append((j, lines[j]))
                j += 1
            }
            return (body, j)
        }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.isEmpty { i += 1; continue }
            let command = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
            if command == "clear" {
                history = SeriesHistory(retention: Int64.max / 4)
                native = []
                i += 1
                continue
            }
            if command.hasPrefix("load") {
                let (series, next) = block(from: i + 1)
                load(line, series, &history, &native, fail: fail)
                i = next
                continue
            }
            guard command.hasPrefix("eval") else { fail(i, "unknown command \(line)"); i += 1; continue }
            var e: Eval
            var next: Int
            do {
                (e, next) = try parseEval(lines, i)
            } catch {
                fail(i, "\(error)")
                i = block(from: i).next
                continue
            }
            i = next
            if let reason = skipReason(e, native: native, outOfScope: outOfScope) {
                out.skipped[reason, default: 0] += 1
                continue
            }
            out.evals += 1
            if let m = execute(e, history) { fail(e.line, "\(e.expr): \(m)") }
        }
        return out
    }

    // MARK: parsing

    private static func load(_ header: String, _ series: [(Int, String)], _ history: inout SeriesHistory,
                             _ native: inout [LabelSet], fail: (Int, String) -> Void) {
        let words = header.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.count == 2, words[0] == "load" || words[0] == "load_with_nhcb", let interval = duration(words[1]) else {
            fail(series.first.map { $0.0 - 1 } ?? 0, "invalid load command \(header)")
            return
        }
        let withNHCB = words[0] == "load_with_nhcb"
        // A series defined twice in one load keeps its last definition, as promqltest's map does.
        var defs: [LabelSet: [SeriesNotation.Value]] = [:]
        var order: [LabelSet] = []
        for (n, s) in series {
            // A start-timestamp line (`metric@st …`): Prometheus uses it only with
            // --enable-feature=use-start-timestamps; the samples line follows.
            if let space = s.firstIndex(where: { $0 == " " || $0 == "\t" }), s[..<space].hasSuffix("@st") { continue }
            do {
                let (labels, rest) = try splitDescription(s)
                if rest.contains("{{") {
                    native.append(labels)
                    defs[labels] = nil
                    continue
                }
                if defs.updateValue(try SeriesNotation.values(rest), forKey: labels) == nil { order.append(labels) }
                if withNHCB, let name = labels.metricName {
                    for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) {
                        let base = String(name.dropLast(suffix.count))
                        native.append(labels.removing(["le"]).setting("__name__", base))
                    }
                }
            } catch {
                fail(n, "cannot load \(s): \(error)")
            }
        }
        for labels in order {
            for (k, v) in (defs[labels] ?? []).enumerated() {
                let t = Int64(k) * interval
                switch v {
                case .sample(let x): history.append(labels, t: t, value: x)
                case .stale: history.append(labels, t: t, value: StaleMarker.value)
                case .blank: break
                }
            }
        }
    }

    private static func parseEval(_ lines: [String], _ start: Int) throws -> (Eval, Int) {
        let line = lines[start]
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var e = Eval(line: start, expr: "")
        let cmd = words.removeFirst()
        switch cmd {
        case "eval", "eval_warn", "eval_info": break
        case "eval_fail": e.shouldFail = true
        case "eval_ordered": e.ordered = true
        default: throw ScriptError(description: "unknown command \(cmd)")
        }
        if words.first == "instant", words.count > 3, words[1] == "at", let t = duration(words[2]) {
            e.at = t
            e.expr = words[3...].joined(separator: " ")
        } else if words.first == "range", words.count > 7, words[1] == "from", words[3] == "to", words[5] == "step",
                  let a = duration(words[2]), let b = duration(words[4]), let s = duration(words[6]) {
            e.range = (a, b, s)
            e.expr = words[7...].joined(separator: " ")
        } else {
            throw ScriptError(description: "bad eval line \(line)")
        }
        var j = start + 1
        var position = 0
        while j < lines.count, !lines[j].isEmpty {
            let l = lines[j]
            j += 1
            if e.shouldFail, l.hasPrefix("expected_fail_message") {
                e.failMessage = String(l.dropFirst(21)).trimmingCharacters(in: .whitespaces)
                break
            }
            if e.shouldFail, l.hasPrefix("expected_fail_regexp") {
                e.failRegexp = String(l.dropFirst(20)).trimmingCharacters(in: .whitespaces)
                break
            }
            if l.hasPrefix("expect range vector") {
                let w = l.split(separator: " ").map(String.init)
                guard w.count == 9, w[3] == "from", w[5] == "to", w[7] == "step",
                      let a = duration(w[4]), let b = duration(w[6]), let s = duration(w[8]) else {
                    throw ScriptError(description: "bad range vector line \(l)")
                }
                e.matrixGrid = (a, b, s)
                e.excludeFromRangeQuery = true
                continue
            }
            if l.hasPrefix("expect string") {
                let quoted = String(l.dropFirst(13)).trimmingCharacters(in: .whitespaces)
                guard quoted.count >= 2, let q = quoted.first, q == "\"" || q == "`", quoted.last == q else {
                    throw ScriptError(description: "bad string expectation \(l)")
                }
                e.expectString = String(quoted.dropFirst().dropLast())
                e.excludeFromRangeQuery = true
                continue
            }
            if l.split(separator: " ").first == "expect" {
                let rest = l.dropFirst(7).trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("fail") {
                    e.shouldFail = true
                    if let r = rest.range(of: "msg:") { e.failMessage = String(rest[r.upperBound...]).trimmingCharacters(in: .whitespaces) }
                    if let r = rest.range(of: "regex:") { e.failRegexp = String(rest[r.upperBound...]).trimmingCharacters(in: .whitespaces) }
                } else if rest.hasPrefix("ordered") {
                    e.ordered = true
                }
                continue
            }
            if let v = number(l) {
                e.expectScalar = true
                e.expected.append(Expected(labels: nil, values: [v], native: false, position: 0))
                break
            }
            position += 1
            let (labels, rest) = try splitDescription(l)
            if rest.contains("{{") {
                e.expected.append(Expected(labels: labels, values: [], native: true, position: position))
                continue
            }
            let values = try SeriesNotation.values(rest).map { v -> Double? in
                if case .sample(let x) = v { return x }
                return nil
            }
            e.expected.append(Expected(labels: labels, values: values, native: false, position: position))
        }
        return (e, j)
    }

    /// Go's `strconv.ParseInt(s, 0, 64)` then `ParseFloat`: the bare-number expectation line.
    private static func number(_ s: String) -> Double? {
        let body = s.hasPrefix("-") || s.hasPrefix("+") ? String(s.dropFirst()) : s
        let sign: Double = s.hasPrefix("-") ? -1 : 1
        if body.lowercased().hasPrefix("0x"), let v = Int64(body.dropFirst(2), radix: 16) { return sign * Double(v) }
        switch body.lowercased() {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        default: break
        }
        guard let first = body.first, first.isNumber || first == "." else { return nil }
        return Double(body).map { sign * $0 }
    }

    /// `metric{a="b"} 1 2`, `{a="b"} 1`, `{"utf8.name"} 1`: the description and the rest.
    private static func splitDescription(_ s: String) throws -> (LabelSet, String) {
        var cut = s.endIndex
        if let open = s.firstIndex(of: "{"), s[..<open].allSatisfy({ $0 != " " && $0 != "\t" }) {
            // The closing brace of the description, skipping quoted strings.
            var inQuote: Character?
            var k = s.index(after: open)
            while k < s.endIndex {
                let c = s[k]
                if let q = inQuote {
                    if c == "\\" { k = s.index(after: k) } else if c == q { inQuote = nil }
                } else if c == "\"" || c == "'" || c == "`" {
                    inQuote = c
                } else if c == "}" {
                    cut = s.index(after: k)
                    break
                }
                if k < s.endIndex { k = s.index(after: k) }
            }
        } else {
            cut = s.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? s.endIndex
        }
        let desc = String(s[..<cut]).trimmingCharacters(in: .whitespaces)
        let labels = desc == "{}" ? LabelSet.empty : try SeriesNotation.labels(desc)
        return (labels, String(s[cut...]))
    }

    /// promqltest's durations (model.ParseDuration).
    static func duration(_ s: String) -> Int64? {
        if s == "0" { return 0 }
        return PromDurationParser.parse(s).map { Int64(($0 * 1000).rounded()) }
    }

    // MARK: scope

    private static func skipReason(_ e: Eval, native: [LabelSet], outOfScope: [Int: String]) -> String? {
        if let r = outOfScope[e.line + 1] { return r }
        if e.expected.contains(where: \.native) { return "native histograms" }
        let expr: Expr
        do {
            expr = try PromQL.parse(e.expr)
        } catch {
            // Stock Prometheus refuses the syntax too: an eval expecting just a failure is in
            // scope, one expecting another message (the flag's feature's own error) is not.
            if e.shouldFail, e.failMessage == nil, e.failRegexp == nil { return nil }
            let m = error.message
            if m.contains("promql-experimental-functions") { return "experimental functions" }
            if m.contains("promql-extended-range-selectors") { return "extended range selectors" }
            if m.contains("promql-binop-fill-modifiers") { return "fill modifiers" }
            return nil
        }
        if !native.isEmpty, selectsAny(expr, native) { return "native histograms" }
        return nil
    }

    private static func selectsAny(_ e: Expr, _ series: [LabelSet]) -> Bool {
        func selects(_ s: VectorSelector) -> Bool {
            series.contains { ls in s.matchers.allSatisfy { $0.matches(ls[$0.name] ?? "") } }
        }
        switch e {
        case .number, .string: return false
        case .vectorSelector(let s), .matrixSelector(let s, _): return selects(s)
        case .subquery(let s): return selectsAny(s.expr, series)
        case .paren(let x), .unaryMinus(let x): return selectsAny(x, series)
        case .binary(let b): return selectsAny(b.lhs, series) || selectsAny(b.rhs, series)
        case .aggregate(let a): return selectsAny(a.expr, series) || a.param.map { selectsAny($0, series) } == true
        case .call(let c): return c.args.contains { selectsAny($0, series) }
        }
    }

    // MARK: running

    private static let timeDependent: Set<String> = [
        "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year",
        "predict_linear", "time", "timestamp",
    ]

    private static func execute(_ e: Eval, _ history: SeriesHistory) -> String? {
        let evaluator = Evaluator(history: history)
        let expr: Expr
        do {
            expr = try PromQL.parse(e.expr)
        } catch {
            return failed(e, error)
        }
        if let r = e.range {
            let series: [RangeSeries]
            do {
                series = try evaluator.range(expr, start: r.start, end: r.end, step: r.step)
            } catch {
                return failed(e, error)
            }
            if e.shouldFail { return "expected an error, got \(series)" }
            return compareMatrix(e, series, grid: r)
        }
        var queries = [(expr, e.at, "")]
        if !callsAny(expr, timeDependent) {
            let withAt = settingAt(expr, e.at)
            let times: [Int64] = e.at == 0 ? [-1000, 0, 1000] : [-10 * e.at, 0, e.at / 5, e.at, 10 * e.at]
            queries += times.map { (withAt, $0, " (with @ \(e.at) at \($0))") }
        }
        for (q, t, note) in queries {
            if let m = runInstant(e, q, at: t, evaluator) { return m + note }
        }
        return nil
    }

    private static func runInstant(_ e: Eval, _ expr: Expr, at t: Int64, _ evaluator: Evaluator) -> String? {
        let value: Value
        do {
            value = try evaluator.instant(expr, at: t)
        } catch {
            return failed(e, error)
        }
        if e.shouldFail { return "expected an error, got \(value)" }
        if let m = compare(e, value) { return m }
        if e.excludeFromRangeQuery || e.expr.range(of: #"(start|end|range|step)\(\)"#, options: .regularExpression) != nil {
            return nil
        }
        let series: [RangeSeries]
        do {
            series = try evaluator.range(expr, start: t - 60_000, end: t + 60_000, step: 60_000)
        } catch {
            return "in range mode: unexpected error: \(error)"
        }
        if e.ordered { return nil }
        let middle = series.compactMap { s in s.points.first { $0.t == t }.map { VectorSample(labels: s.labels, value: $0.v) } }
        if case .scalar = value {
            guard let v = middle.first?.value else { return "in range mode: no scalar" }
            return compare(e, .scalar(v)).map { "in range mode: \($0)" }
        }
        return compare(e, .vector(middle)).map { "in range mode: \($0)" }
    }

    private static func failed(_ e: Eval, _ error: any Error) -> String? {
        guard e.shouldFail else { return "unexpected error: \(error)" }
        // Go's err.Error(): a parse error with its position ("1:5: parse error: …"), an
        // evaluation error as its message.
        let text = "\(error)"
        if let m = e.failMessage, text != m { return "error \(text), expected \(m)" }
        if let re = e.failRegexp, text.range(of: re, options: .regularExpression) == nil {
            return "error \(text), expected to match \(re)"
        }
        return nil
    }

    private static func compare(_ e: Eval, _ value: Value) -> String? {
        switch value {
        case .string(let s):
            guard let want = e.expectString else { return "got string \(s)" }
            return s == want ? nil : "got string \(s), expected \(want)"
        case .scalar(let v):
            guard e.expectScalar, let w = e.expected.first?.values.first else { return "got scalar \(v), expected a vector or matrix" }
            return almostEqual(v, w) ? nil : "got scalar \(v), expected \(w.map { "\($0)" } ?? "nothing")"
        case .vector(let vec):
            if e.expectScalar { return "got vector \(vec), expected a scalar" }
            var seen = Set<LabelSet>()
            for (pos, s) in vec.enumerated() {
                guard let w = e.expected.first(where: { ($0.labels ?? .empty) == s.labels }) else {
                    return "unexpected series \(s.labels) \(s.value) in \(vec)"
                }
                if e.ordered, w.position != pos + 1 { return "\(s.labels) at position \(pos + 1), expected \(w.position)" }
                guard let wv = w.values.first, almostEqual(s.value, wv) else {
                    return "\(s.labels): got \(s.value), expected \(w.values)"
                }
                seen.insert(s.labels)
            }
            if let missing = e.expected.first(where: { !seen.contains($0.labels ?? .empty) }) {
                return "expected series \(missing.labels ?? .empty) not found in \(vec)"
            }
            return nil
        case .matrix(let m):
            if e.ordered { return "expected ordered result, got a matrix" }
            if e.expectScalar { return "got matrix, expected a scalar" }
            return compareMatrix(e, m, grid: e.matrixGrid ?? (e.at, e.at, 0))
        }
    }

    private static func compareMatrix(_ e: Eval, _ series: [RangeSeries], grid: (start: Int64, end: Int64, step: Int64)) -> String? {
        var seen = Set<LabelSet>()
        for s in series {
            guard let w = e.expected.first(where: { ($0.labels ?? .empty) == s.labels }) else {
                return "unexpected series \(s.labels) \(s.points.map(\.v))"
            }
            seen.insert(s.labels)
            var want: [(Int64, Double)] = []
            for (k, v) in w.values.enumerated() {
                let t = grid.start + Int64(k) * grid.step
                if t > grid.end { return "\(w.values.count) points expected for \(s.labels), more than the range has" }
                if let v { want.append((t, v)) }
            }
            let got = s.points.map { ($0.t, $0.v) }
            if got.count != want.count || zip(got, want).contains(where: { $0.0 != $1.0 || !almostEqual($0.1, $1.1) }) {
                return "\(s.labels): got \(got), expected \(want)"
            }
        }
        if let missing = e.expected.first(where: { !seen.contains($0.labels ?? .empty) }) {
            return "expected series \(missing.labels ?? .empty) not found"
        }
        return nil
    }

    // MARK: the @ variants

    private static func callsAny(_ e: Expr, _ names: Set<String>) -> Bool {
        switch e {
        case .number, .string, .vectorSelector, .matrixSelector: return false
        case .subquery(let s): return callsAny(s.expr, names)
        case .paren(let x), .unaryMinus(let x): return callsAny(x, names)
        case .binary(let b): return callsAny(b.lhs, names) || callsAny(b.rhs, names)
        case .aggregate(let a): return callsAny(a.expr, names) || a.param.map { callsAny($0, names) } == true
        case .call(let c): return names.contains(c.function.name) || c.args.contains { callsAny($0, names) }
        }
    }

    /// `@ t` on every selector and subquery without a timestamp of its own, not inside a
    /// subquery that has one (as promqltest's atModifierTestCases).
    private static func settingAt(_ e: Expr, _ t: Int64) -> Expr {
        func fix(_ at: AtModifier?) -> AtModifier {
            if case .timestamp = at { return at! }
            return .timestamp(t)
        }
        switch e {
        case .number, .string: return e
        case .vectorSelector(var s):
            s.at = fix(s.at)
            return .vectorSelector(s)
        case .matrixSelector(var s, let r):
            s.at = fix(s.at)
            return .matrixSelector(s, range: r)
        case .subquery(var s):
            if case .timestamp = s.at { return e }
            s.at = .timestamp(t)
            return .subquery(s)
        case .paren(let x): return .paren(settingAt(x, t))
        case .unaryMinus(let x): return .unaryMinus(settingAt(x, t))
        case .binary(var b):
            b.lhs = settingAt(b.lhs, t)
            b.rhs = settingAt(b.rhs, t)
            return .binary(b)
        case .aggregate(var a):
            a.expr = settingAt(a.expr, t)
            a.param = a.param.map { settingAt($0, t) }
            return .aggregate(a)
        case .call(var c):
            c.args = c.args.map { settingAt($0, t) }
            return .call(c)
        }
    }

    static func almostEqual(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        let diff = abs(a - b), sum = abs(a) + abs(b)
        if a == 0 || b == 0 || sum < Double.leastNormalMagnitude { return diff < 1e-6 * Double.leastNormalMagnitude }
        return diff / min(sum, Double.greatestFiniteMagnitude) < 1e-6
    }
}
