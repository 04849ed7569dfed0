import Foundation
@testable import Rules

/// A small runner for Prometheus' promqltest format (`promql/promqltest/testdata/*.test`):
/// `load <interval>` with series lines, `clear`, `eval instant at <t> <expr>`,
/// `eval range from <t> to <t> step <d> <expr>` and `eval_fail …` with
/// `expected_fail_message`/`expected_fail_regexp`, followed by the expected samples.
/// Annotation expectations (`expect warn` & co.) are skipped: Vigil has no annotations.
/// Values compare as promqltest does (relative 1e-6, NaN equals NaN).
struct PromQLTestScript {
    struct Failure: CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    private struct Eval {
        var line: Int
        var expr: String
        var instantAt: Int64?
        var range: (start: Int64, end: Int64, step: Int64)?
        var shouldFail = false
        var failMessage: String?
        var failRegexp: String?
        var ordered = false
        var expected: [(labels: LabelSet?, values: [SeriesNotation.Value])] = []
    }

    /// Runs every command of `text`; returns the failures and how many evals ran.
    static func run(_ text: String) -> (failures: [Failure], evals: Int) {
        var history = SeriesHistory(retention: Int64.max / 4)
        var failures: [Failure] = []
        var evals = 0
        let lines = text.components(separatedBy: "\n")
        var i = 0
        func fail(_ line: Int, _ m: String) { failures.append(Failure(line: line + 1, message: m)) }
        func body(from start: Int) -> (lines: [(Int, String)], next: Int) {
            var out: [(Int, String)] = []
            var j = start
            while j < lines.count {
                let raw = lines[j]
                let trimmed = raw.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || !(raw.hasPrefix(" ") || raw.hasPrefix("\t")) { break }
                if !trimmed.hasPrefix("#") { out.append((j, trimmed)) }
                j += 1
            }
            return (out, j)
        }
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { i += 1; continue }
            if line == "clear" {
                history = SeriesHistory(retention: Int64.max / 4)
                i += 1
                continue
            }
            if line.hasPrefix("load ") {
                let interval = duration(String(line.dropFirst(5)))
                let (series, next) = body(from: i + 1)
                for (n, s) in series {
                    do {
                        let (labels, values) = try splitSeries(s)
                        for (k, v) in values.enumerated() {
                            let t = Int64(k) * (interval ?? 0)
                            switch v {
                            case .sample(let x): history.append(labels, t: t, value: x)
                            case .stale: history.append(labels, t: t, value: StaleMarker.value)
                            case .blank: break
                            }
                        }
                    } catch {
                        fail(n, "cannot load \(s): \(error)")
                    }
                }
                i = next
                continue
            }
            guard line.hasPrefix("eval") else { fail(i, "unknown command \(line)"); i += 1; continue }
            var e: Eval
            do {
                e = try parseEvalHeader(line, i)
            } catch {
                fail(i, "\(error)")
                i += 1
                continue
            }
            let (expected, next) = body(from: i + 1)
            for (n, l) in expected {
                if l.hasPrefix("expect ") {
                    let rest = l.dropFirst(7)
                    if rest.hasPrefix("fail") {
                        e.shouldFail = true
                        if let r = rest.range(of: "msg:") { e.failMessage = String(rest[r.upperBound...]).trimmingCharacters(in: .whitespaces) }
                        if let r = rest.range(of: "regex:") { e.failRegexp = String(rest[r.upperBound...]).trimmingCharacters(in: .whitespaces) }
                    } else if rest.hasPrefix("ordered") {
                        e.ordered = true
                    }
                    continue
                }
                if l.hasPrefix("expected_fail_message ") { e.failMessage = String(l.dropFirst(22)); continue }
                if l.hasPrefix("expected_fail_regexp ") { e.failRegexp = String(l.dropFirst(21)); continue }
                do {
                    e.expected.append(try parseExpected(l))
                } catch {
                    fail(n, "bad expectation \(l): \(error)")
                }
            }
            evals += 1
            if let m = check(e, history) { fail(e.line, "\(e.expr): \(m)") }
            i = next
        }
        return (failures, evals)
    }

    private struct HeaderError: Error, CustomStringConvertible { var description: String }

    private static func parseEvalHeader(_ line: String, _ n: Int) throws -> Eval {
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var e = Eval(line: n, expr: "")
        let cmd = words.removeFirst()
        switch cmd {
        case "eval": break
        case "eval_fail": e.shouldFail = true
        case "eval_ordered": e.ordered = true
        default: throw HeaderError(description: "unknown command \(cmd)")
        }
        if words.first == "instant", words.count > 3, words[1] == "at", let t = duration(words[2]) {
            e.instantAt = t
            e.expr = words[3...].joined(separator: " ")
        } else if words.first == "range", words.count > 7, words[1] == "from", words[3] == "to", words[5] == "step",
                  let a = duration(words[2]), let b = duration(words[4]), let s = duration(words[6]) {
            e.range = (a, b, s)
            e.expr = words[7...].joined(separator: " ")
        } else {
            throw HeaderError(description: "bad eval line \(line)")
        }
        return e
    }

    /// `{a="b"} 1 2`, `metric{a="b"} 1`, or a bare scalar `3`.
    private static func parseExpected(_ l: String) throws -> (labels: LabelSet?, values: [SeriesNotation.Value]) {
        if let first = l.first, first.isNumber || first == "-" || first == "+" || l.lowercased().hasPrefix("nan") || l.lowercased().hasPrefix("inf") {
            return (nil, try SeriesNotation.values(l))
        }
        let (labels, values) = try splitSeries(l)
        return (labels, values)
    }

    private static func splitSeries(_ s: String) throws -> (LabelSet, [SeriesNotation.Value]) {
        let cut: String.Index
        if let close = s.lastIndex(of: "}") {
            cut = s.index(after: close)
        } else {
            cut = s.firstIndex(of: " ") ?? s.endIndex
        }
        let desc = String(s[..<cut]).trimmingCharacters(in: .whitespaces)
        let labels = desc == "{}" ? LabelSet.empty : try SeriesNotation.labels(desc)
        return (labels, try SeriesNotation.values(String(s[cut...])))
    }

    /// promqltest's durations (model.ParseDuration) and plain seconds.
    static func duration(_ s: String) -> Int64? {
        if let v = Double(s) { return Int64((v * 1000).rounded()) }
        return PromDurationParser.parse(s).map { Int64(($0 * 1000).rounded()) }
    }

    private static func check(_ e: Eval, _ history: SeriesHistory) -> String? {
        let evaluator = Evaluator(history: history)
        var got: [(LabelSet?, [Double?])] = []
        do {
            let expr = try PromQL.parse(e.expr)
            if let t = e.instantAt {
                switch try evaluator.instant(expr, at: t) {
                case .scalar(let v): got = [(nil, [v])]
                case .vector(let vec): got = vec.map { ($0.labels, [$0.value]) }
                case .matrix(let m): got = m.map { s in (s.labels, s.points.map { Optional($0.v) }) }
                case .string(let s): return "string result \(s) is not compared"
                }
            } else if let r = e.range {
                let series = try evaluator.range(expr, start: r.start, end: r.end, step: r.step)
                let steps = Array(stride(from: r.start, through: r.end, by: Int(r.step)))
                got = series.map { s in
                    let byT = Dictionary(s.points.map { ($0.t, $0.v) }, uniquingKeysWith: { a, _ in a })
                    return (s.labels.isEmpty && expr.type == .scalar ? nil : s.labels, steps.map { byT[$0] })
                }
            }
        } catch {
            guard e.shouldFail else { return "unexpected error: \(error)" }
            let message = Self.message(of: error)
            if let m = e.failMessage, message != m, !message.hasSuffix(m) { return "error \(message), expected \(m)" }
            if let re = e.failRegexp, message.range(of: re, options: .regularExpression) == nil {
                return "error \(message), expected to match \(re)"
            }
            return nil
        }
        if e.shouldFail { return "expected an error, got \(got)" }
        let want: [(LabelSet?, [Double?])] = e.expected.map { exp in
            (exp.labels, exp.values.map { v -> Double? in
                switch v {
                case .sample(let x): x
                case .blank, .stale: nil
                }
            })
        }
        if got.count != want.count { return "got \(got.count) series \(got), expected \(want.count)" }
        for (k, w) in want.enumerated() {
            let match: Int?
            if e.ordered {
                match = sameLabels(got[k].0, w.0) ? k : nil
            } else {
                match = got.firstIndex { sameLabels($0.0, w.0) }
            }
            guard let m = match else { return "no series \(w.0.map { "\($0)" } ?? "scalar") in \(got)" }
            let g = got[m].1
            if g.count != w.1.count || zip(g, w.1).contains(where: { !almostEqual($0, $1) }) {
                return "\(w.0.map { "\($0)" } ?? "scalar"): got \(g), expected \(w.1)"
            }
        }
        return nil
    }

    private static func message(of error: any Error) -> String {
        if let p = error as? PromQLError { return p.message }
        return "\(error)"
    }

    private static func sameLabels(_ a: LabelSet?, _ b: LabelSet?) -> Bool {
        (a ?? .empty) == (b ?? .empty)
    }

    private static func almostEqual(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        let diff = abs(a - b)
        if a == 0 || b == 0 || diff < Double.leastNormalMagnitude { return diff < 1e-6 * Double.leastNormalMagnitude }
        return diff / (abs(a) + abs(b)) < 1e-6
    }
}
