import Foundation
import Testing
@testable import Rules

/// The rule unit-test files under Fixtures/promql are the ones `promtool test rules` passes
/// (see Tests/RulesTests/Oracle/README.md); Vigil's runner must pass them too.
@Suite("promtool fixture files through RuleTestRunner")
struct PromtoolFixtureTests {
    static let files = FixtureFiles.files(in: "promql")

    @Test("the fixture folder is not empty")
    func present() {
        #expect(Self.files.count >= 1)
    }

    @Test("passes like promtool", arguments: files)
    func passes(_ file: String) {
        let report = RuleTestRunner.run(path: file)
        #expect(report.passed, "\(report.text)")
    }
}

/// Rule test files only Vigil can run (the seed's shorthand rule files).
@Suite("Vigil-only rule test files")
struct VigilOnlyFixtureTests {
    static let files = FixtureFiles.files(in: "vigil-only")

    @Test("passes", arguments: files)
    func passes(_ file: String) {
        let report = RuleTestRunner.run(path: file)
        #expect(report.passed, "\(report.text)")
    }

    @Test("the folder is not empty")
    func present() { #expect(!Self.files.isEmpty) }
}
