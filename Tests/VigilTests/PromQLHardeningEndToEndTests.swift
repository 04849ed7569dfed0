import Foundation
import Testing
import VigilTestSupport

/// Hostile queries and rule files against the real binary: bad time parameters and deep
/// expressions are 400 `bad_data` / positioned errors, and the server keeps serving.
@Suite("PromQL hardening end to end", .serialized)
struct PromQLHardeningEndToEndTests {
    static func encoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }

    static func nested(_ open: String, _ depth: Int, _ close: String = ")") -> String {
        String(repeating: open, count: depth) + "vigil_build_info" + String(repeating: close, count: depth)
    }

    @Test("time=1e300, -1e300, 9300000000000000, NaN answer 400 bad_data; deep queries are parse errors; /metrics keeps answering")
    func hostileQueries() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let vigil = try VigilProcess(binary: bin, config: "global: {collect_interval: 1s}\n")
        #expect(vigil.waitReady())
        for time in ["1e300", "-1e300", "9300000000000000", "NaN", "Inf", "2019-13-01T00:00:00Z"] {
            let r = try vigil.get("/api/v1/query?query=1&time=\(Self.encoded(time))")
            #expect(r.status == 400, "\(time): \(r.status) \(r.text)")
            #expect(r.text.contains("\"errorType\":\"bad_data\"") && r.text.contains("to a valid timestamp"), "\(time): \(r.text)")
            #expect(vigil.isRunning, "died on time=\(time)")
        }
        let ok = try vigil.get("/api/v1/query?query=1&time=\(Self.encoded("2019-07-07T20:47:40+03:00"))")
        #expect(ok.status == 200 && ok.text.contains("1562521660"), "\(ok.text)")
        // Far deeper than the old limit's stack overflow (~499 levels) and than the new limit.
        for open in ["abs(", "sum(", "(", "-"] {
            let close = open == "-" ? "" : ")"
            let r = try vigil.get("/api/v1/query?query=\(Self.encoded(Self.nested(open, 2_000, close)))", timeout: 10)
            #expect(r.status == 400 && r.text.contains("nested too deeply"), "\(open): \(r.status) \(r.text.prefix(200))")
            #expect(vigil.isRunning, "died on \(open) nesting")
        }
        let deepOK = try vigil.get("/api/v1/query?query=\(Self.encoded(Self.nested("abs(", 60)))")
        #expect(deepOK.status == 200, "\(deepOK.text.prefix(300))")
        let metrics = try vigil.get("/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("vigil_build_info"))
        _ = vigil.terminate()
    }

    @Test("check-rules on a generated file with 10,000-deep expressions reports each at its line, without crashing")
    func deepRuleFile() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kinds: [(String, String)] = [("abs(", ")"), ("sum(", ")"), ("(", ")"), ("-", ""), ("max_over_time((", ")[1m:])")]
        var text = "groups:\n  - name: deep\n    rules:\n"
        for (i, (open, close)) in kinds.enumerated() {
            text += "      - record: deep:\(i)\n        expr: '\(Self.nested(open, 10_000, close))'\n"
        }
        let file = dir.appendingPathComponent("deep.yml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let run = try Subprocess.run(bin, ["check-rules", file.path])
        #expect(run.status == 1, "\(run.stdout.prefix(500))\(run.stderr.prefix(500))")
        #expect(run.stdout.contains("nested too deeply"), "\(run.stdout.prefix(500))")
        #expect(run.stdout.contains("deep.yml:5"), "\(run.stdout.prefix(500))")
        let fine = dir.appendingPathComponent("fine.yml")
        try "groups:\n  - name: ok\n    rules:\n      - record: ok:deep\n        expr: '\(Self.nested("abs(", 60))'\n".write(to: fine, atomically: true, encoding: .utf8)
        let ok = try Subprocess.run(bin, ["check-rules", fine.path])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
    }

    @Test("test-rules refuses a test that needs more than 1,000,000 steps at once, with the eval_time's position")
    func boundedTestRules() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RulesTests/Fixtures/bounded-tests")
        let start = Date()
        let run = try Subprocess.run(bin, ["test-rules", fixtures.appendingPathComponent("steps-1ms.test.yml").path])
        #expect(run.status == 1)
        #expect(run.stdout.contains("steps-1ms.test.yml:10:20: tests[0].promql_expr_test[0].eval_time: eval_time 16m40s needs 1000001 evaluation steps"),
                "\(run.stdout)\(run.stderr)")
        #expect(Date().timeIntervalSince(start) < 30)
        let ok = try Subprocess.run(bin, ["test-rules", fixtures.appendingPathComponent("interval-1ms.test.yml").path])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
    }
}
