import Foundation
import Testing
import VigilTestSupport

/// The rule engine inside the running binary: alerts on /metrics and the API, recording
/// outputs, state that survives a restart, the rule CLI and rule errors at config load.
@Suite("vigil rules end to end", .serialized)
struct RulesEndToEndTests {
    static func write(_ text: String, to dir: URL, _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static let ruleFile = """
        groups:
          - name: e2e
            rules:
              - record: vigil:build:count
                expr: count(vigil_build_info)
              - alert: VigilIsRunning
                expr: vigil_build_info == 1
                for: 8s
                labels: {severity: info}
                annotations: {summary: "Vigil {{ $labels.version }} runs"}
        """

    @Test("an alerting rule goes pending then firing, visible as ALERTS on /metrics and in /api/v1/alerts; recording outputs are exposed")
    func alertLifecycle() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = try Self.write(Self.ruleFile.replacingOccurrences(of: "for: 8s", with: "for: 2s"), to: dir, "rules.yml")
        let vigil = try VigilProcess(binary: bin, config: """
            global: {collect_interval: 1s, state_dir: "\(dir.path)/state"}
            rule_files: ["\(rules)"]
            """)
        #expect(vigil.waitReady())
        #expect(eventually(5) { vigil.metrics().contains("ALERTS{alertname=\"VigilIsRunning\"") && vigil.metrics().contains("alertstate=\"pending\"} 1") })
        #expect(eventually(6) { vigil.metrics().contains("alertstate=\"firing\"} 1") }, "\(vigil.metrics())")
        let alerts = try vigil.get("/api/v1/alerts").text
        #expect(alerts.contains("\"state\":\"firing\"") && alerts.contains("\"summary\":\"Vigil "))
        #expect(VigilProcess.value("vigil:build:count", in: vigil.metrics()) == 1)
        let rulesJSON = try vigil.get("/api/v1/rules").text
        #expect(rulesJSON.contains("\"name\":\"e2e\"") && rulesJSON.contains("VigilIsRunning"))
        let query = try vigil.get("/api/v1/query?query=vigil_build_info%20*%202")
        #expect(query.status == 200 && query.text.contains("\"resultType\":\"vector\"") && query.text.contains("\"2\""))
        let bad = try vigil.get("/api/v1/query?query=sum(")
        #expect(bad.status == 400 && bad.text.contains("parse error"))
        _ = vigil.terminate()
    }

    /// The whole series key (`name{labels}`) of the first exposition line that starts with `prefix`.
    static func series(_ prefix: String, in text: String) -> String? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let end = line.lastIndex(of: "}") else { return nil }
        return String(line[...end])
    }

    @Test("a restart in the middle of a for window keeps its progress: the alert fires on the original schedule")
    func restartKeepsPending() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = try Self.write(Self.ruleFile, to: dir, "rules.yml")
        let config = """
            global: {collect_interval: 1s, state_dir: "\(dir.path)/state"}
            rule_files: ["\(rules)"]
            """
        let first = try VigilProcess(binary: bin, config: config)
        #expect(first.waitReady())
        #expect(eventually(5) { first.metrics().contains("alertstate=\"pending\"} 1") })
        // The alert carries vigil_build_info's labels (version, revision, …): its series is found by name.
        let series = try #require(Self.series("ALERTS_FOR_STATE{alertname=\"VigilIsRunning\"", in: first.metrics()))
        let activeAt = try #require(VigilProcess.value(series, in: first.metrics()))
        Thread.sleep(forTimeInterval: 2)
        #expect(first.terminate().status == 0)

        let second = try VigilProcess(binary: bin, config: config)
        #expect(second.waitReady())
        // Restored as pending with the original activeAt, not restarted from zero...
        #expect(eventually(3) { second.metrics().contains("ALERTS_FOR_STATE{alertname=\"VigilIsRunning\"") })
        let restored = VigilProcess.value(series, in: second.metrics())
        #expect(restored == activeAt)
        // ...so it fires 8 s after the first start's activeAt.
        #expect(eventually(12) { second.metrics().contains("alertstate=\"firing\"} 1") })
        let firedAfter = Date().timeIntervalSince1970 - activeAt
        #expect(firedAfter < 8 + 4, "fired \(firedAfter) s after activeAt")
        _ = second.terminate()
    }

    @Test("a broken rule file fails the configuration with the rule file's position, and a reload keeps the old rules")
    func brokenRules() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Self.write(Self.ruleFile, to: dir, "rules.yml")
        let bad = try Self.write("groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(up\n", to: dir, "bad.yml")
        let config = try Self.write("rule_files: [\"\(bad)\"]\n", to: dir, "vigil.yml")
        let check = try Subprocess.run(bin, ["check-config", config])
        #expect(check.status == 2)
        #expect(check.stderr.contains("bad.yml:5:15: groups[0].rules[0].expr:"), "\(check.stderr)")

        let vigil = try VigilProcess(binary: bin, config: "global: {collect_interval: 1s, state_dir: \"\(dir.path)/s\"}\nrule_files: [\"\(good)\"]\n")
        #expect(vigil.waitReady())
        try vigil.write(config: "global: {collect_interval: 1s, state_dir: \"\(dir.path)/s\"}\nrule_files: [\"\(bad)\"]\n")
        let r = try vigil.get("/-/reload", method: "POST")
        #expect(r.status == 500 && r.text.contains("bad.yml"))
        #expect(try vigil.get("/api/v1/rules").text.contains("VigilIsRunning"))
        _ = vigil.terminate()
    }

    @Test("check-rules and test-rules answer like promtool: exit 0 on good files, 1 with the position on bad ones")
    func ruleCommands() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Self.write(Self.ruleFile, to: dir, "rules.yml")
        let bad = try Self.write("groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: rate(up)\n", to: dir, "bad.yml")
        let ok = try Subprocess.run(bin, ["check-rules", good])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        let notOK = try Subprocess.run(bin, ["check-rules", bad])
        #expect(notOK.status == 1)
        #expect(notOK.stdout.contains("bad.yml:5"), "\(notOK.stdout)")
        let test = try Self.write("""
            rule_files: [rules.yml]
            evaluation_interval: 1s
            tests:
              - interval: 1s
                input_series:
                  - series: 'vigil_build_info{version="1"}'
                    values: '1x20'
                alert_rule_test:
                  - eval_time: 10s
                    alertname: VigilIsRunning
                    exp_alerts:
                      - exp_labels: {severity: info, version: "1"}
                        exp_annotations: {summary: "Vigil 1 runs"}
            """, to: dir, "test.yml")
        let ran = try Subprocess.run(bin, ["test-rules", test])
        #expect(ran.status == 0, "\(ran.stdout)\(ran.stderr)")
        if let promtool = TestEnvironment.tool("promtool") {
            let oracle = try Subprocess.run(promtool, ["test", "rules", test])
            #expect(oracle.status == 0, "promtool disagrees: \(oracle.stdout)\(oracle.stderr)")
        }
    }
}
