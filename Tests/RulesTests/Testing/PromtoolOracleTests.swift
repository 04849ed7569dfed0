import Foundation
import Testing
import VigilTestSupport

/// Runs Debian's `promtool test rules` on the same fixture files, so the suite proves both tools
/// agree. Without promtool the test is skipped, unless `VIGIL_TEST_REQUIRE_SERVERS=1` or
/// `CI=true` asks for every external tool.
@Suite("promtool on the fixture files")
struct PromtoolOracleTests {
    @Test("promtool test rules passes every fixture file")
    func promtoolPasses() throws {
        guard let promtool = TestEnvironment.tool("promtool") else { return }
        let files = FixtureFiles.files(in: "promql")
        #expect(!files.isEmpty)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: promtool)
        p.arguments = ["test", "rules"] + files
        p.currentDirectoryURL = URL(fileURLWithPath: FixtureFiles.root)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.components(separatedBy: "SUCCESS").count - 1 == files.count, "\(text)")
    }
}
