import Foundation
import Testing
@testable import Rules

/// Evals transcribed from Prometheus 3.14's own engine tests (`promql/promqltest/testdata`),
/// float samples only and no feature flags, replayed by `PromQLTestScript`. Expected values are
/// those of the 3.14 files: Debian's promtool 2.42 cannot parse this syntax.
@Suite("Prometheus 3.14 engine test evals")
struct PromQLTestScriptTests {
    static let files: [String] = {
        let dir = FixtureFiles.path("promqltest")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted()
    }()

    @Test("every fixture file is found")
    func filesPresent() {
        #expect(Self.files.count >= 3)
    }

    @Test("every eval of the file answers as Prometheus 3.14 does", arguments: files)
    func replay(_ name: String) throws {
        let text = try String(contentsOfFile: FixtureFiles.path("promqltest/\(name)"), encoding: .utf8)
        let (failures, evals) = PromQLTestScript.run(text)
        #expect(evals > 5, "\(name) has only \(evals) evals")
        for f in failures { Issue.record("\(name): \(f)") }
    }

    @Test("the runner fails a wrong expectation, a missing error and an unexpected error")
    func runnerCanFail() {
        let wrong = PromQLTestScript.run("load 1m\n  m 1 2 3\n\neval instant at 2m m\n  m 4\n")
        #expect(wrong.failures.count == 1)
        let noError = PromQLTestScript.run("load 1m\n  m 1\n\neval_fail instant at 0m m\n")
        #expect(noError.failures.count == 1)
        let error = PromQLTestScript.run("eval instant at 0m m[0]\n")
        #expect(error.failures.count == 1)
        let right = PromQLTestScript.run("load 1m\n  m 1 2 3\n\neval range from 0 to 2m step 1m m\n  m 1 2 3\n")
        #expect(right.failures.isEmpty && right.evals == 1)
    }
}
