import VigilCore
import Foundation
import Yams

/// Runs rule unit-test files in promtool's format (`rule_files`, `evaluation_interval`,
/// `group_eval_order`, `tests` with `input_series`, `alert_rule_test`, `promql_expr_test`)
/// and reports like `promtool test rules`.
///
/// Values are compared with a relative tolerance of 1e-9 (NaN equals NaN), because summation
/// order may differ from Prometheus' in the last bits; promtool 2.x compares exactly.
public enum RuleTestRunner {
    public struct Report: Sendable {
        public var file: String
        public var failures: [String]
        public var passed: Bool { failures.isEmpty }

        /// promtool-like text: `Unit Testing:  FILE` then `  SUCCESS` or `  FAILED:` and details.
        public var text: String {
            var s = "Unit Testing:  \(file)\n"
            if passed { return s + "  SUCCESS\n" }
            s += "  FAILED:\n"
            for f in failures { s += f + "\n" }
            return s
        }
    }

    /// Runs every test group of the file at `path`.
    public static func run(path: String) -> Report {
        do {
            let failures = try runFile(path)
            return Report(file: path, failures: failures)
        } catch let e as PositionedError {
            return Report(file: path, failures: ["    \(e)"])
        } catch {
            return Report(file: path, failures: ["    \(error)"])
        }
    }

    struct AlertTest {
        var evalTime: Int64
        var alertname: String
        var expected: [(labels: LabelSet, annotations: [String: String])]
    }

    struct ExprTest {
        var expr: String
        var evalTime: Int64
        var expected: [(labels: LabelSet, value: Double)]
    }

    static func runFile(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PositionedError(file: path, line: 0, column: 0, field: "", message: "cannot read file")
        }
        guard let root = try StrictYAMLReader.root(text: text, file: path) else { return [] }
        let top = try StrictYAMLReader(root, path: "", file: path)
        let dir = (path as NSString).deletingLastPathComponent
        var groups: [RuleGroup] = []
        for pattern in try top.stringList("rule_files") ?? [] {
            let full = pattern.hasPrefix("/") ? pattern : (dir.isEmpty ? pattern : "\(dir)/\(pattern)")
            let matches = RuleFile.glob(full)
            if matches.isEmpty, !pattern.contains("*") {
                throw PositionedError(file: path, line: 0, column: 0, field: "rule_files", message: "cannot read rule file \(full)")
            }
            for file in matches { groups += try RuleFile.load(path: file).groups }
        }
        let evalInterval = try top.milliseconds("evaluation_interval") ?? 60_000
        // Prometheus 3.x's `fuzzy_compare` widens the tolerance of value comparisons.
        let tolerance = (try top.bool("fuzzy_compare") ?? false) ? 1e-6 : 1e-9
        guard evalInterval > 0 else { throw top.error(top.value("evaluation_interval"), "evaluation_interval", "must be greater than 0") }
        if let order = try top.stringList("group_eval_order") {
            var ordered: [RuleGroup] = []
            for name in order {
                guard let g = groups.first(where: { $0.name == name }) else {
                    throw top.error(top.value("group_eval_order"), "group_eval_order", "group \(PromQLString.quote(name)) not found")
                }
                ordered.append(g)
            }
            groups = ordered + groups.filter { g in !order.contains(g.name) }
        }
        var failures: [String] = []
        for item in try top.sequence("tests") ?? [] {
            failures += try runGroup(item.node, path: item.path, file: path, groups: groups, evalInterval: evalInterval, tolerance: tolerance)
        }
        try top.finish()
        return failures
    }

    static func runGroup(_ node: Node, path: String, file: String, groups: [RuleGroup], evalInterval: Int64, tolerance: Double) throws -> [String] {
        let m = try StrictYAMLReader(node, path: path, file: file)
        let name = try m.string("name")
        let interval = try m.milliseconds("interval") ?? evalInterval
        guard interval > 0 else { throw m.error(m.value("interval"), m.childPath("interval"), "must be greater than 0") }
        var externalLabels: [String: String] = [:]
        for (k, v, _) in try m.stringMap("external_labels") ?? [] { externalLabels[k] = v }
        let externalURL = try m.string("external_url") ?? ""

        var history = SeriesHistory(retention: Int64.max / 4, maxSamplesPerSeries: 10_000_000)
        var inputSamples = 0
        let ruleCount = groups.reduce(0) { $0 + $1.rules.count }
        // The latest eval_time; the number of steps is checked at each one's position.
        var latestEvalTime: Int64 = 0
        func checkSteps(_ t: Int64, _ r: StrictYAMLReader) throws(PositionedError) {
            let steps = t / evalInterval + 1
            guard steps <= Self.maxSteps else {
                throw r.error(r.value("eval_time"), r.childPath("eval_time"),
                              "eval_time \(fmt(t)) needs \(steps) evaluation steps at evaluation_interval \(fmt(evalInterval)); at most \(Self.maxSteps) are allowed")
            }
            // Every rule is evaluated at every step; recording outputs are kept for the whole test.
            guard steps * Int64(max(ruleCount, 1)) <= Self.maxRuleEvaluations else {
                throw r.error(r.value("eval_time"), r.childPath("eval_time"),
                              "eval_time \(fmt(t)) needs \(steps) evaluation steps of \(ruleCount) rules at evaluation_interval \(fmt(evalInterval)); at most \(Self.maxRuleEvaluations) rule evaluations are allowed")
            }
            latestEvalTime = max(latestEvalTime, t)
        }
        let inputSeries = try m.sequence("input_series") ?? []
        // Counted before anything is expanded: the limit costs no time to enforce.
        for s in inputSeries {
            let sm = try StrictYAMLReader(s.node, path: s.path, file: file)
            guard let n = SeriesNotation.count(try sm.string("values") ?? "") else { continue }
            inputSamples += n
            guard inputSamples <= Self.maxInputSamples else {
                throw sm.error(sm.value("values"), sm.childPath("values"),
                               "the input series of this test expand to more than \(Self.maxInputSamples) samples")
            }
        }
        for s in inputSeries {
            let sm = try StrictYAMLReader(s.node, path: s.path, file: file)
            let seriesText = try sm.requiredString("series")
            let valuesText = try sm.string("values") ?? ""
            let labels: LabelSet
            let values: [SeriesNotation.Value]
            do { labels = try SeriesNotation.labels(seriesText) } catch {
                throw sm.error(sm.value("series"), sm.childPath("series"), error.message)
            }
            do { values = try SeriesNotation.values(valuesText) } catch {
                throw sm.error(sm.value("values"), sm.childPath("values"), error.message)
            }
            try sm.finish()
            for (i, v) in values.enumerated() {
                let (t, overflow) = Int64(i).multipliedReportingOverflow(by: interval)
                guard !overflow else { throw sm.error(sm.value("values"), sm.childPath("values"), "sample \(i) lies beyond the representable time range") }
                switch v {
                case .blank: continue
                case .stale: history.append(labels, t: t, value: StaleMarker.value)
                case .sample(let x): history.append(labels, t: t, value: x)
                }
            }
        }

        var alertTests: [AlertTest] = []
        for a in try m.sequence("alert_rule_test") ?? [] {
            let am = try StrictYAMLReader(a.node, path: a.path, file: file)
            let evalTime = try am.milliseconds("eval_time") ?? 0
            try checkSteps(evalTime, am)
            let alertname = try am.requiredString("alertname")
            var expected: [(LabelSet, [String: String])] = []
            for e in try am.sequence("exp_alerts") ?? [] {
                let em = try StrictYAMLReader(e.node, path: e.path, file: file)
                var labels = LabelSet.empty
                for (k, v, _) in try em.stringMap("exp_labels") ?? [] { labels = labels.setting(k, v) }
                var annotations: [String: String] = [:]
                for (k, v, _) in try em.stringMap("exp_annotations") ?? [] { annotations[k] = v }
                try em.finish()
                expected.append((labels.setting("alertname", alertname), annotations))
            }
            try am.finish()
            alertTests.append(AlertTest(evalTime: evalTime, alertname: alertname, expected: expected))
        }
        var exprTests: [ExprTest] = []
        for p in try m.sequence("promql_expr_test") ?? [] {
            let pm = try StrictYAMLReader(p.node, path: p.path, file: file)
            let expr = try pm.requiredString("expr")
            let evalTime = try pm.milliseconds("eval_time") ?? 0
            try checkSteps(evalTime, pm)
            var expected: [(LabelSet, Double)] = []
            for e in try pm.sequence("exp_samples") ?? [] {
                let em = try StrictYAMLReader(e.node, path: e.path, file: file)
                let labelsText = try em.string("labels") ?? "{}"
                let labels: LabelSet
                do {
                    labels = labelsText.trimmingCharacters(in: .whitespaces) == "{}" ? .empty : try SeriesNotation.labels(labelsText)
                } catch {
                    throw em.error(em.value("labels"), em.childPath("labels"), error.message)
                }
                if em.has("histogram") {
                    throw em.error(em.value("histogram"), em.childPath("histogram"), SeriesNotation.nativeHistogramsUnsupported)
                }
                let valueText = try em.string("value") ?? "0"
                guard let value = yamlFloat(valueText) else {
                    throw em.error(em.value("value"), em.childPath("value"), "invalid value \(PromQLString.quote(valueText))")
                }
                try em.finish()
                expected.append((labels, value))
            }
            try pm.finish()
            exprTests.append(ExprTest(expr: expr, evalTime: evalTime, expected: expected))
        }
        try m.finish()

        var failures: [String] = []
        let prefix = name.map { "    name: \($0),\n" } ?? ""
        var engine = RuleEngine(externalLabels: externalLabels, externalURL: externalURL, evaluationInterval: evalInterval)
        // Checked per eval_time above, at its position; the run takes one pass per step.
        let maxEval = latestEvalTime
        let sortedAlerts = alertTests.sorted { $0.evalTime < $1.evalTime }
        var next = 0
        var ts: Int64 = 0
        while ts <= maxEval {
            for g in groups {
                let result = engine.evaluate(g, at: ts, history: &history)
                for r in result.rules {
                    if let e = r.error { failures.append("\(prefix)    rule: \(r.rule), time: \(fmt(ts)), err: \(e.message)") }
                }
            }
            while next < sortedAlerts.count, sortedAlerts[next].evalTime >= ts, sortedAlerts[next].evalTime < ts + evalInterval {
                let test = sortedAlerts[next]
                next += 1
                var got: [(LabelSet, [String: String])] = []
                for g in groups {
                    let keys = RuleEngine.keys(for: g)
                    for (i, rule) in g.rules.enumerated() {
                        guard case .alerting(let a) = rule, a.name == test.alertname else { continue }
                        let state = engine.states[keys[i]] ?? AlertState()
                        for alert in state.alerts where alert.state == .firing {
                            got.append((alert.labels, alert.annotations))
                        }
                    }
                }
                let exp = test.expected.sorted { $0.labels < $1.labels }
                got.sort { $0.0 < $1.0 }
                let same = exp.count == got.count && zip(exp, got).allSatisfy { $0.labels == $1.0 && $0.annotations == $1.1 }
                if !same {
                    failures.append("\(prefix)    alertname: \(test.alertname), time: \(fmt(test.evalTime)), \n        exp:\(alertList(exp.map { ($0.labels, $0.annotations) })), \n        got:\(alertList(got))")
                }
            }
            ts += evalInterval
        }
        for test in exprTests {
            let expr: Expr
            do { expr = try PromQL.parse(test.expr) } catch {
                failures.append("\(prefix)    expr: \(PromQLString.quote(test.expr)), time: \(fmt(test.evalTime)), err: \(error)")
                continue
            }
            let evaluator = Evaluator(history: history, defaultSubqueryStep: evalInterval)
            let got: [VectorSample]
            do {
                got = try Evaluator.samples(of: evaluator.instant(expr, at: test.evalTime))
            } catch {
                failures.append("\(prefix)    expr: \(PromQLString.quote(test.expr)), time: \(fmt(test.evalTime)), err: \(error)")
                continue
            }
            let exp = test.expected.sorted { $0.labels < $1.labels }
            let gotSorted = got.map { ($0.labels, $0.value) }.sorted { $0.0 < $1.0 }
            let same = exp.count == gotSorted.count && zip(exp, gotSorted).allSatisfy { $0.labels == $1.0 && close($0.value, $1.1, tolerance: tolerance) }
            if !same {
                failures.append("\(prefix)    expr: \(PromQLString.quote(test.expr)), time: \(fmt(test.evalTime)),\n        exp: \(sampleList(exp.map { ($0.labels, $0.value) }))\n        got: \(sampleList(gotSorted))")
            }
        }
        return failures
    }

    /// A YAML float: plain numbers plus `.inf`, `-.inf`, `.nan` in their YAML spellings.
    static func yamlFloat(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: return Double(text.replacingOccurrences(of: "_", with: "")) ?? Evaluator.parseLe(text)
        }
    }

    /// Most evaluation steps (`eval_time / evaluation_interval + 1`) one test group may take:
    /// promtool accepts any, but 1,000,000 steps already take seconds (`evaluation_interval:
    /// 1ms` with `eval_time: 16m40s`); a clear error at the eval_time beats a run of hours.
    static let maxSteps: Int64 = 1_000_000
    /// Most rule evaluations (steps × rules of the loaded files) one test group may take; each
    /// recording rule keeps one sample per step, so this also bounds memory.
    static let maxRuleEvaluations: Int64 = 10_000_000
    /// Most input samples (all `input_series` expansions together) one test group may have.
    static let maxInputSamples = 5_000_000

    static func close(_ a: Double, _ b: Double, tolerance: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= tolerance * max(abs(a), abs(b))
    }

    static func fmt(_ ms: Int64) -> String { PromDurationParser.format(ms) }

    /// As promtool prints samples: `{__name__="x", a="1"} 1.5E+00, …`, or `nil` for none.
    static func sampleList(_ s: [(LabelSet, Double)]) -> String {
        if s.isEmpty { return "nil" }
        return s.map { ls, v in
            "{" + ls.labels.map { "\($0.name)=\(PromQLString.quote($0.value))" }.joined(separator: ", ") + "} "
                + GoFormat.exponent(v).uppercased().replacingOccurrences(of: "NAN", with: "NaN").replacingOccurrences(of: "INF", with: "Inf")
        }.joined(separator: ", ")
    }

    static func alertList(_ a: [(LabelSet, [String: String])]) -> String {
        if a.isEmpty { return "[]" }
        var s = "[\n"
        for (i, x) in a.enumerated() {
            let ann = x.1.keys.sorted().map { "\($0)=\(PromQLString.quote(x.1[$0] ?? ""))" }.joined(separator: ", ")
            s += "            \(i):\n              Labels:\(x.0)\n              Annotations:{\(ann)}\n"
        }
        return s + "            ]"
    }
}
