import Foundation
import Testing
@testable import Rules

/// `test-rules` is bounded: evaluation steps, rule evaluations and input expansions have
/// documented limits with positioned errors, and a run is linear in its steps.
@Suite("RuleTestRunner bounds")
struct RuleTestBoundsTests {
    static let folder = "bounded-tests"
    static let files = FixtureFiles.files(in: folder).filter { $0.hasSuffix(".test.yml") }

    @Test("the fixture folder holds the bounded cases")
    func present() {
        #expect(Self.files.count >= 8, "\(FixtureFiles.path(Self.folder))")
    }

    @Test("each fixture gives the outcome on its first line, quickly", arguments: files)
    func fixture(_ path: String) throws {
        let first = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", maxSplits: 1)[0]
        let expected = try #require(first.hasPrefix("# expect: ") ? String(first.dropFirst(10)) : nil)
        let start = ContinuousClock.now
        let report = RuleTestRunner.run(path: path)
        let took = ContinuousClock.now - start
        if expected == "SUCCESS" {
            #expect(report.passed, "\(report.text)")
        } else {
            #expect(!report.passed)
            #expect(report.failures.count == 1 && report.failures[0].hasSuffix("/\(expected)"), "\(report.text)")
        }
        // Refusals happen while reading the file, before any step runs.
        #expect(took < .seconds(30), "\(took)")
    }

    static func oneMillisecondTest(evalTime: String) -> String {
        """
        rule_files: [down.rules.yml]
        evaluation_interval: 1ms
        tests:
          - interval: 1s
            input_series:
              - series: 'up{job="a"}'
                values: '0x100'
            alert_rule_test:
              - eval_time: \(evalTime)
                alertname: Down
                exp_alerts:
                  - exp_labels: {job: a}
        """
    }

    @Test("a run is linear in its steps: 20,000 steps at 1ms take about 10 times 2,000")
    func linearInSteps() throws {
        let dir = FixtureFiles.path(Self.folder)
        let tmp = NSTemporaryDirectory() + "vigil-steps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try FileManager.default.copyItem(atPath: "\(dir)/down.rules.yml", toPath: "\(tmp)/down.rules.yml")
        func time(_ evalTime: String, runs: Int) throws -> Double {
            let path = "\(tmp)/t-\(evalTime).yml"
            try Self.oneMillisecondTest(evalTime: evalTime).write(toFile: path, atomically: true, encoding: .utf8)
            var best = Double.infinity
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let report = RuleTestRunner.run(path: path)
                let d = ContinuousClock.now - start
                #expect(report.passed, "\(report.text)")
                best = min(best, d.seconds)
            }
            return best
        }
        let small = try time("2s", runs: 3), large = try time("20s", runs: 2)
        print("test-rules steps: 2,000 in \(small) s, 20,000 in \(large) s")
        #expect(large / max(small, 1e-6) < 30, "2,000 steps: \(small) s, 20,000 steps: \(large) s")
    }
}
