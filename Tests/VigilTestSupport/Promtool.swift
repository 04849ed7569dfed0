import Foundation
public import Testing

/// Debian's promtool as the exposition-format oracle.
public enum Promtool {
    /// `promtool check metrics` on `body`: its findings, one per line (`name problem`, or a parse
    /// error). nil when promtool is missing (a recorded failure when servers are required).
    public static func checkMetrics(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String]? {
        guard let exe = TestEnvironment.tool("promtool", sourceLocation: sourceLocation) else { return nil }
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("metrics.txt")
        try Data(body.utf8).write(to: file)
        let out = try Subprocess.run("/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", exe, file.path])
        return (out.stdout + out.stderr).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }
}
