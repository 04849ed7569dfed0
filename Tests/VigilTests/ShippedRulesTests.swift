import Foundation
import Rules
import Testing
import VigilTestSupport

/// The rule files shipped in `rules/`: both promtool and Vigil accept them, and their unit tests
/// (`rules/tests/*.yml`) pass under both `promtool test rules` and Vigil's own runner.
@Suite("Shipped rules")
struct ShippedRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let rulesDir = root.appendingPathComponent("rules")
    static let testsDir = rulesDir.appendingPathComponent("tests")
    /// Tests only Vigil can run: they load the seed's shorthand, which promtool does not know.
    static let vigilOnlyTestsDir = testsDir.appendingPathComponent("vigil-only")

    static func yamlFiles(in dir: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    static var ruleFiles: [String] { yamlFiles(in: rulesDir) }
    static var testFiles: [String] { yamlFiles(in: testsDir) }

    /// Files in the seed's shorthand (`alerts:` at the top), which promtool rejects.
    static func isShorthand(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("alerts:") }
    }

    @Test("the shipped rule files and their tests are all there")
    func inventory() {
        let names = Self.ruleFiles.map { ($0 as NSString).lastPathComponent }
        for expected in ["seed-recording.yml", "seed-alerts.yml", "postgres-alerts.yml", "redis-alerts.yml",
                         "bullmq-alerts.yml", "app-alerts.yml", "vigil-alerts.yml"] {
            #expect(names.contains(expected), "rules/\(expected) is missing")
        }
        #expect(Self.testFiles.count >= 6)
        #expect(!Self.yamlFiles(in: Self.vigilOnlyTestsDir).isEmpty)
    }

    @Test("promtool check rules accepts every Prometheus-format rule file")
    func promtoolCheck() throws {
        guard let promtool = TestEnvironment.tool("promtool") else { return }
        let files = Self.ruleFiles.filter { !Self.isShorthand($0) }
        try #require(files.count >= 5)
        let out = try Subprocess.run(promtool, ["check", "rules"] + files, timeout: 120)
        #expect(out.status == 0, "promtool check rules failed:\n\(out.stdout)\(out.stderr)")
        #expect(out.stdout.components(separatedBy: "SUCCESS").count - 1 == files.count, "\(out.stdout)")
    }

    @Test("promtool test rules passes every unit-test file")
    func promtoolTest() throws {
        guard let promtool = TestEnvironment.tool("promtool") else { return }
        let files = Self.testFiles
        try #require(!files.isEmpty)
        let out = try Subprocess.run(promtool, ["test", "rules"] + files, timeout: 300)
        #expect(out.status == 0, "promtool test rules failed:\n\(out.stdout)\(out.stderr)")
        #expect(out.stdout.components(separatedBy: "SUCCESS").count - 1 == files.count, "\(out.stdout)")
    }

    @Test("Vigil loads every shipped rule file, shorthand included")
    func vigilLoads() {
        for path in Self.ruleFiles {
            do {
                let file = try RuleFile.load(path: path)
                #expect(file.isShorthand == Self.isShorthand(path), "\(path)")
                #expect(!file.groups.flatMap(\.rules).isEmpty, "\(path) has no rules")
            } catch {
                Issue.record("Vigil rejects \(path): \(error)")
            }
        }
    }

    @Test("Vigil's rule test runner passes the same unit-test files, and the shorthand ones")
    func vigilRunner() {
        let files = Self.testFiles + Self.yamlFiles(in: Self.vigilOnlyTestsDir)
        #expect(!files.isEmpty)
        for path in files {
            let report = RuleTestRunner.run(path: path)
            #expect(report.passed, "\(report.text)")
        }
    }

    @Test("the seed's four alerts load from its shorthand, as written in the seed")
    func seedShorthand() throws {
        let file = try RuleFile.load(path: Self.rulesDir.appendingPathComponent("seed-alerts.yml").path)
        #expect(file.isShorthand)
        let alerts: [AlertingRule] = file.groups.flatMap(\.rules).compactMap {
            if case .alerting(let a) = $0 { return a }
            return nil
        }
        let expected: [(name: String, expr: String, severity: String)] = [
            ("High Database Response Time", "query_duration_p95 > 0.5", "warning"),
            ("Database Connection Pool Exhausted", "connection_pool_usage > 0.9", "critical"),
            ("Redis Memory Usage High", "redis_memory_usage > 0.85", "warning"),
            ("Replication Lag High", "replication_lag > 1", "critical"),
        ]
        try #require(alerts.count == expected.count)
        for (alert, want) in zip(alerts, expected) {
            #expect(alert.name == want.name)
            #expect(alert.exprText == want.expr)
            #expect(alert.labels.first { $0.name == "severity" }?.value == want.severity)
            #expect(alert.holdDuration > 0, "\(alert.name) has no for")
            #expect(alert.annotations.contains { $0.name == "description" }, "\(alert.name) has no description")
        }
    }

    /// promtool cannot read the shorthand, but it can check the alerts Vigil makes of it: the
    /// rules Vigil loaded are written out as a Prometheus rule file (JSON is YAML) and the
    /// shorthand's unit tests run against it under promtool, so their expected values come
    /// from the oracle too.
    @Test("promtool passes the seed shorthand's tests on the alerts Vigil loads from it")
    func seedShorthandUnderPromtool() throws {
        guard let promtool = TestEnvironment.tool("promtool") else { return }
        let file = try RuleFile.load(path: Self.rulesDir.appendingPathComponent("seed-alerts.yml").path)
        let group = try #require(file.groups.first)
        var rules: [[String: Any]] = []
        for case .alerting(let a) in group.rules {
            rules.append([
                "alert": a.name,
                "expr": a.exprText,
                "for": "\(a.holdDuration)ms",
                "labels": Dictionary(a.labels.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
                "annotations": Dictionary(a.annotations.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }),
            ])
        }
        try #require(rules.count == 4)
        let json = try JSONSerialization.data(withJSONObject: ["groups": [["name": group.name, "rules": rules]]],
                                              options: [.sortedKeys, .withoutEscapingSlashes])
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try json.write(to: dir.appendingPathComponent("seed-alerts.yml"))
        try FileManager.default.copyItem(at: Self.rulesDir.appendingPathComponent("seed-recording.yml"),
                                         to: dir.appendingPathComponent("seed-recording.yml"))
        let testText = try String(contentsOfFile: Self.vigilOnlyTestsDir.appendingPathComponent("seed-alerts.test.yml").path,
                                  encoding: .utf8)
        let rewritten = testText.replacingOccurrences(of: "../../seed-", with: "seed-")
        #expect(rewritten != testText)
        let testPath = dir.appendingPathComponent("seed-alerts.test.yml")
        try rewritten.write(to: testPath, atomically: true, encoding: .utf8)
        let out = try Subprocess.run(promtool, ["test", "rules", testPath.path], timeout: 120)
        #expect(out.status == 0, "promtool test rules failed on the translated seed alerts:\n\(out.stdout)\(out.stderr)")
    }

    /// Names of alerts and recorded metrics that the unit tests mention.
    static func testedNames() -> (alerts: Set<String>, text: String) {
        var alerts: Set<String> = []
        var text = ""
        for path in testFiles + yamlFiles(in: vigilOnlyTestsDir) {
            guard let t = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            text += t
            for line in t.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("alertname:") || trimmed.hasPrefix("- alertname:") else { continue }
                let value = trimmed.split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""
                alerts.insert(value.trimmingCharacters(in: CharacterSet(charactersIn: " \"'")))
            }
        }
        return (alerts, text)
    }

    @Test("every shipped rule has a severity, a summary, a description and a unit test")
    func everyRuleIsDocumentedAndTested() throws {
        let tested = Self.testedNames()
        var alertCount = 0
        for path in Self.ruleFiles {
            let file = try RuleFile.load(path: path)
            for rule in file.groups.flatMap(\.rules) {
                switch rule {
                case .alerting(let a):
                    alertCount += 1
                    #expect(a.labels.contains { $0.name == "severity" && !$0.value.isEmpty }, "\(a.name): no severity")
                    #expect(a.annotations.contains { $0.name == "summary" && !$0.value.isEmpty }, "\(a.name): no summary")
                    #expect(a.annotations.contains { $0.name == "description" && !$0.value.isEmpty }, "\(a.name): no description")
                    #expect(tested.alerts.contains(a.name), "\(a.name) (\(path)) has no alert_rule_test")
                case .recording(let r):
                    #expect(tested.text.contains("expr: \(r.name)"), "\(r.name) (\(path)) has no promql_expr_test")
                }
            }
        }
        #expect(alertCount >= 30)
    }
}
