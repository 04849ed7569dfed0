import Foundation
import Testing

/// Runs Debian's `promtool test rules` on the same fixture files, so the suite proves both tools
/// agree. Without promtool the test is skipped, unless `VIGIL_TEST_REQUIRE_SERVERS=1` or
/// `CI=true` asks for every external tool.
@Suite("promtool on the fixture files")
struct PromtoolOracleTests {
    static func findPromtool() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/promtool"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static var required: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["VIGIL_TEST_REQUIRE_SERVERS"] == "1" || env["CI"] == "true"
    }

    @Test("promtool test rules passes every fixture file")
    func promtoolPasses() throws {
        guard let promtool = Self.findPromtool() else {
            if Self.required { Issue.record("promtool not found on PATH") }
            return
        }
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
