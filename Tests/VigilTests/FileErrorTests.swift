import Foundation
import Testing
import VigilTestSupport

/// Files that cannot be read, or hold bytes YAML does not allow, are named with what is wrong
/// and where, by the real binary.
@Suite("unreadable and malformed files through the binary")
struct FileErrorTests {
    @Test("test-rules says why it cannot read a file: no such file, a directory, not UTF-8 at its line")
    func testRulesUnreadable() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("latin1.test.yml")
        try Data("rule_files: []\ntests:\n  - name: caf\u{e9}\n".utf8.map { $0 == 0xC3 ? 0xE9 : $0 }.filter { $0 != 0xA9 })
            .write(to: binary)
        let cases: [(path: String, expected: String)] = [
            (dir.appendingPathComponent("missing.test.yml").path, "missing.test.yml: no such file"),
            (dir.path, "is a directory, not a file"),
            (binary.path, "latin1.test.yml:3:14: the file is not UTF-8 text (byte 0xE9"),
        ]
        for c in cases {
            let out = try Subprocess.run(bin, ["test-rules", c.path])
            #expect(out.status == 1, "\(c.path): \(out.stdout)\(out.stderr)")
            #expect(out.stdout.contains(c.expected), "\(out.stdout)")
            #expect(!out.stdout.contains("cannot read file"))
        }
    }

    @Test("check-rules and check-config name the line and column of a control character")
    func controlCharacters() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rules = dir.appendingPathComponent("bell.rules.yml")
        try "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\u{07}\n".write(to: rules, atomically: true, encoding: .utf8)
        let checked = try Subprocess.run(bin, ["check-rules", rules.path])
        #expect(checked.status == 1)
        #expect((checked.stdout + checked.stderr).contains("bell.rules.yml:5:17: control character U+0007"), "\(checked.stdout)\(checked.stderr)")
        let config = dir.appendingPathComponent("vigil.yml")
        try "rule_files: [\"\(rules.path)\"]\n".write(to: config, atomically: true, encoding: .utf8)
        let out = try Subprocess.run(bin, ["check-config", config.path])
        #expect(out.status == 2)
        #expect(out.stderr.contains("bell.rules.yml:5:17: control character U+0007"), "\(out.stderr)")
    }
}
