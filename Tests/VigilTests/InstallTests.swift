import Foundation
import Rules
import Testing
import VigilCore
import VigilTestSupport

/// scripts/install, the warning for rule_files globs that match nothing, and the commit
/// stamped into the binary (scripts/lib/common.sh's stamp_commit).
@Suite("installing vigil")
struct InstallTests {
    static let root = Fixtures.repositoryRoot

    /// Runs `script` with bash in the repository root.
    static func bash(_ script: String, environment: [String: String] = [:], timeout: Double = 60) throws -> Subprocess.Output {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        return try Subprocess.run("/bin/bash", ["-c", "cd \"$0\" && " + script, root.path], environment: env, timeout: timeout)
    }

    @Test("scripts/install --prefix puts the binary, rules, dashboards and config under the prefix; the installed config loads the installed rules")
    func installIntoPrefix() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("prefix").path
        let install = try Self.bash("scripts/install --prefix \"$PREFIX\" --binary \"$BIN\"", environment: ["PREFIX": prefix, "BIN": bin])
        #expect(install.status == 0, "\(install.stderr)")

        let fm = FileManager.default
        #expect(fm.isExecutableFile(atPath: "\(prefix)/bin/vigil"))
        let shipped = try fm.contentsOfDirectory(atPath: Self.root.appendingPathComponent("rules").path).filter { $0.hasSuffix(".yml") }.sorted()
        let rules = try fm.contentsOfDirectory(atPath: "\(prefix)/share/vigil/rules").sorted()
        #expect(!shipped.isEmpty && rules == shipped)
        let dashboards = try fm.contentsOfDirectory(atPath: "\(prefix)/share/vigil/dashboards").sorted()
        let json = try fm.contentsOfDirectory(atPath: Self.root.appendingPathComponent("dashboards").path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(!json.isEmpty && dashboards == json)

        // The installed example names the installed rules; its /run/secrets files get stand-ins.
        var config = try String(contentsOfFile: "\(prefix)/etc/vigil/vigil.yml", encoding: .utf8)
        #expect(config.contains("\(prefix)/share/vigil/rules/*.yml") && !config.contains("/usr/share/vigil"))
        for name in ["vigil-replica-1-dsn", "redis-password", "s3-secret"] {
            let path = dir.appendingPathComponent(name).path
            try (name.hasSuffix("dsn") ? "postgresql://vigil:pw@replica-1/app\n" : "pw\n").write(toFile: path, atomically: true, encoding: .utf8)
            config = config.replacingOccurrences(of: "/run/secrets/\(name)", with: path)
        }
        let checked = dir.appendingPathComponent("checked.yml").path
        try config.write(toFile: checked, atomically: true, encoding: .utf8)
        let check = try Subprocess.run("\(prefix)/bin/vigil", ["check-config", checked], environment: ["VIGIL_PG_PASSWORD": "pw"])
        #expect(check.status == 0, "\(check.stderr)")
        let groups = try RuleFile.loadGroups(patterns: ["\(prefix)/share/vigil/rules/*.yml"], baseDirectory: "/")
        #expect(!groups.isEmpty)
        #expect(check.stdout.contains("rule_files: [\"\(prefix)/share/vigil/rules/*.yml\"]   # \(groups.count) groups"), "\(check.stdout)")
        #expect(!check.stderr.contains("matched no file"), "\(check.stderr)")

        // A second install keeps the edited configuration and writes the new one beside it.
        try "# edited\n".write(toFile: "\(prefix)/etc/vigil/vigil.yml", atomically: true, encoding: .utf8)
        let again = try Self.bash("scripts/install --prefix \"$PREFIX\" --binary \"$BIN\"", environment: ["PREFIX": prefix, "BIN": bin])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: "\(prefix)/etc/vigil/vigil.yml", encoding: .utf8) == "# edited\n")
        #expect(fm.fileExists(atPath: "\(prefix)/etc/vigil/vigil.yml.new"))
    }

    @Test("DESTDIR stages the default layout: /usr/local/bin, /usr/share/vigil, /etc/vigil")
    func destdirDefaultLayout() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let install = try Self.bash("scripts/install --binary \"$BIN\"", environment: ["DESTDIR": dir.path, "BIN": bin])
        #expect(install.status == 0, "\(install.stderr)")
        let fm = FileManager.default
        #expect(fm.isExecutableFile(atPath: dir.path + "/usr/local/bin/vigil"))
        #expect(fm.fileExists(atPath: dir.path + "/usr/share/vigil/rules/postgres-alerts.yml"))
        #expect(fm.fileExists(atPath: dir.path + "/usr/share/vigil/dashboards/vigil-overview.json"))
        // Unprefixed, the configuration names the path the embedded default and the image use.
        let config = try String(contentsOfFile: dir.path + "/etc/vigil/vigil.yml", encoding: .utf8)
        #expect(config.contains("- /usr/share/vigil/rules/*.yml"))
    }

    @Test("a rule_files glob that matches nothing is named: by check-config on stderr and by run in its log")
    func unmatchedRuleGlobWarns() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("rules"), withIntermediateDirectories: true)
        try "groups: []\n".write(to: dir.appendingPathComponent("rules/present.yml"), atomically: true, encoding: .utf8)
        let yaml = "rule_files: [\"rules/*.yml\", \"nowhere/*.yml\"]\n"
        try yaml.write(to: dir.appendingPathComponent("vigil.yml"), atomically: true, encoding: .utf8)
        let check = try Subprocess.run(bin, ["check-config", dir.appendingPathComponent("vigil.yml").path])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stderr.contains("warning: rule_files pattern \(dir.path)/nowhere/*.yml matched no file"), "\(check.stderr)")
        #expect(!check.stderr.contains("rules/*.yml matched"), "\(check.stderr)")

        let vigil = try VigilProcess(binary: bin, config: "rule_files: [\"\(dir.path)/nowhere/*.yml\"]\n")
        #expect(vigil.waitHealthy())
        #expect(eventually(10) { vigil.log.contains("rule_files pattern matched no file") && vigil.log.contains("\(dir.path)/nowhere/*.yml") }, "\(vigil.log)")
    }

    @Test("RuleFile.unmatched names only the globs without a match")
    func unmatchedPatterns() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "groups: []\n".write(to: dir.appendingPathComponent("a.yml"), atomically: true, encoding: .utf8)
        let found = RuleFile.unmatched(patterns: ["*.yml", "*.rules", "missing.yml", "/nonexistent-dir/*.yml"], baseDirectory: dir.path)
        // A literal name is reported by loading (as a missing file), not here.
        #expect(found == ["\(dir.path)/*.rules", "/nonexistent-dir/*.yml"])
    }

    @Test("the stamped commit reaches vigil --version, vigil version and vigil_build_info{revision}")
    func stampedCommit() throws {
        guard let bin = TestEnvironment.vigilBinary else { return }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("vigil").path
        let commit = "0123456789abcdef0123456789abcdef01234567-dirty"
        let stamp = try Self.bash("source scripts/lib/common.sh && stamp_commit \"$BIN\" \"$OUT\" \"$COMMIT\"",
                                  environment: ["BIN": bin, "OUT": out, "COMMIT": commit])
        #expect(stamp.status == 0, "\(stamp.stderr)")
        #expect(try Subprocess.run(out, ["--version"]).stdout == "\(VigilVersion.current) (commit \(commit))\n")
        #expect(try Subprocess.run(out, ["version"]).stdout == "vigil \(VigilVersion.current) (commit \(commit))\n")
        // The build folder's binary is not touched: a copy carries the stamp.
        #expect(try Subprocess.run(bin, ["--version"]).stdout != "\(VigilVersion.current) (commit \(commit))\n")

        let vigil = try VigilProcess(binary: out, config: "")
        #expect(vigil.waitHealthy())
        // vigil_build_info comes with Vigil's own target's first collection, which may land after
        // /-/healthy answers.
        #expect(eventually(10) { vigil.metrics().contains("revision=\"\(commit)\"") }, "\(vigil.metrics().prefix(600))")

        // Too long for the 64-byte section, or not a commit name: refused, nothing written.
        let refused = try Self.bash("source scripts/lib/common.sh && stamp_commit \"$BIN\" \"$OUT.bad\" 'a b'",
                                    environment: ["BIN": bin, "OUT": out])
        #expect(refused.status != 0 && !FileManager.default.fileExists(atPath: out + ".bad"))
    }
}
