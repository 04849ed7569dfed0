import Foundation
import Testing
@testable import Rules

@Suite("RuleTestRunner")
struct RuleTestRunnerTests {
    static func run(_ text: String, rules: String? = nil) throws -> RuleTestRunner.Report {
        let dir = NSTemporaryDirectory() + "vigil-ruletest-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        if let rules { try rules.write(toFile: "\(dir)/r.yml", atomically: true, encoding: .utf8) }
        try text.write(toFile: "\(dir)/t.yml", atomically: true, encoding: .utf8)
        return RuleTestRunner.run(path: "\(dir)/t.yml")
    }

    @Test("expands promtool's series notation", arguments: [(String, [Double])]([
        ("1+2x3", [1.0, 3, 5, 7]),
        ("-2+4x3", [-2, 2, 6, 10]),
        ("1-2x4", [1, -1, -3, -5, -7]),
        ("7x2", [7, 7, 7]),
        ("1e3 -Inf", [1000, -.infinity]),
        ("0.1+0.1x2", [0.1, 0.2, 0.30000000000000004]),
    ]))
    func notation(_ text: String, _ values: [Double]) throws {
        let got = try SeriesNotation.values(text).map { v -> Double? in if case .sample(let x) = v { return x } else { return nil } }
        #expect(got == values)
    }

    @Test("blanks and stale markers")
    func blanks() throws {
        #expect(try SeriesNotation.values("1 _x3 stale _") == [.sample(1), .blank, .blank, .blank, .stale, .blank])
    }

    @Test("a wrong expected value fails with promtool's shape of report")
    func wrongValue() throws {
        let r = try Self.run("""
            tests:
              - input_series:
                  - series: 'x{a="1"}'
                    values: '1 2 3'
                promql_expr_test:
                  - expr: x
                    eval_time: 2m
                    exp_samples:
                      - labels: 'x{a="1"}'
                        value: 4
            """)
        #expect(!r.passed)
        #expect(r.text.contains("FAILED:"))
        #expect(r.text.contains("expr: \"x\", time: 2m,"))
        #expect(r.text.contains("exp: {__name__=\"x\", a=\"1\"} 4E+00"))
        #expect(r.text.contains("got: {__name__=\"x\", a=\"1\"} 3E+00"))
    }

    @Test("a missing or extra alert fails; a rule error is reported")
    func alerts() throws {
        let rules = """
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: x > 1
                  - record: dup
                    expr: label_replace(x, "a", "z", "a", ".*") * 0 + 1
            """
        let r = try Self.run("""
            rule_files: [r.yml]
            tests:
              - input_series:
                  - series: 'x{a="1"}'
                    values: '5 5'
                  - series: 'x{a="2"}'
                    values: '5 5'
                alert_rule_test:
                  - eval_time: 1m
                    alertname: A
                    exp_alerts:
                      - exp_labels: {a: "1"}
            """, rules: rules)
        #expect(!r.passed)
        #expect(r.failures.contains { $0.contains("alertname: A, time: 1m") })
        #expect(r.failures.contains { $0.contains("rule: dup") && $0.contains("same labelset") })
    }

    @Test("an unknown field in a test file is a positioned error")
    func strict() throws {
        let r = try Self.run("tests:\n  - input_series: []\n    bogus: 1\n")
        #expect(!r.passed)
        #expect(r.failures.first?.contains(":3:5: tests[0].bogus: unknown field") == true)
    }

    @Test("a native-histogram sample in an input series or an expected sample says native histograms are unsupported")
    func nativeHistograms() throws {
        let input = try Self.run("""
        tests:
          - interval: 1m
            input_series:
              - series: 'h{job="a"}'
                values: '{{schema:0 sum:5 count:4 buckets:[1 2 1]}} {{schema:0 sum:6 count:5 buckets:[1 3 1]}}x2'
            promql_expr_test:
              - expr: h
                eval_time: 1m
        """)
        #expect(!input.passed)
        #expect(input.failures.first?.contains("values: native histograms are not supported") == true, "\(input.text)")
        #expect(input.failures.first?.contains("invalid number") == false, "\(input.text)")
        let expected = try Self.run("""
        tests:
          - interval: 1m
            input_series:
              - series: 'x'
                values: '1'
            promql_expr_test:
              - expr: x
                exp_samples:
                  - labels: 'x'
                    histogram: '{{schema:0 sum:1 count:1}}'
        """)
        #expect(!expected.passed)
        #expect(expected.failures.first?.contains("histogram: native histograms are not supported") == true, "\(expected.text)")
        #expect(throws: SeriesNotation.Failure.self) { try SeriesNotation.values("1 {{schema:1 count:2}}x3") }
        #expect(SeriesNotation.count("{{schema:0 count:1}}") == nil)
    }

    @Test("absurd time ranges are errors, not hangs or traps")
    func bounds() throws {
        let hang = try Self.run("evaluation_interval: 1s\ntests:\n  - input_series: []\n    promql_expr_test:\n      - expr: vector(1)\n        eval_time: 200y\n")
        #expect(!hang.passed && hang.text.contains("tests[0].promql_expr_test[0].eval_time: eval_time 200y needs"))
        let tooLong = try Self.run("tests:\n  - interval: 1000y\n    input_series:\n      - series: 'x'\n        values: '1x100000'\n")
        #expect(!tooLong.passed && tooLong.text.contains("tests[0].interval: invalid duration"))
    }
}
