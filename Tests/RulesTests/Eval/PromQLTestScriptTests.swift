import Foundation
import Testing
@testable import Rules

/// Prometheus 3.x semantics written in promqltest's script format (our own cases, expected values
/// worked out by hand or from the equivalent 2.x form), replayed by `PromQLTestScript`: Debian's
/// promtool 2.42 cannot parse this syntax, so it cannot be the oracle here.
@Suite("PromQL 3.x scripts in promqltest format")
struct PromQLTestScriptTests {
    static let files: [String] = {
        let dir = FixtureFiles.path("promqltest")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".test") }.sorted()
    }()

    @Test("every fixture file is found")
    func filesPresent() {
        #expect(Self.files.count >= 2)
    }

    @Test("every eval of the file answers as its expectation says", arguments: files)
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
