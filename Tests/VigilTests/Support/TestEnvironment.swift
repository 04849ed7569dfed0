import Foundation
import Testing

/// The servers and tools `scripts/test` provides. Under CI (or `VIGIL_TEST_REQUIRE_SERVERS=1`)
/// a missing one fails the test instead of skipping it.
enum TestEnvironment {
    static let env = ProcessInfo.processInfo.environment

    static var required: Bool { env["CI"] == "true" || env["VIGIL_TEST_REQUIRE_SERVERS"] == "1" }

    /// The value of `name`, or nil after recording a failure (when required) so the caller returns.
    static func value(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let v = env[name], !v.isEmpty { return v }
        if required {
            Issue.record("\(name) is not set: run the suite through scripts/test", sourceLocation: sourceLocation)
        }
        return nil
    }

    static var vigilBinary: String? { value("VIGIL_BIN") }
    /// Servers reserved for tests that stop and start them, so no other suite running in
    /// parallel sees them go away.
    static var outagePostgresDSN: String? { value("VIGIL_TEST_OUTAGE_PG_DSN") }
    static var outageRedisURL: String? { value("VIGIL_TEST_OUTAGE_REDIS_URL") }
    static var postgresDSN: String? { value("VIGIL_TEST_PG_DSN") }
    static var redisURL: String? { value("VIGIL_TEST_REDIS_URL") }

    /// Runs a `*_CTL` script (`stop` / `start`) and reports whether it succeeded.
    @discardableResult
    static func control(_ variable: String, _ action: String) -> Bool {
        guard let script = value(variable) else { return false }
        return (try? Subprocess.run(script, [action], timeout: 60).status) == 0
    }

    /// A tool on PATH (promtool, prometheus, …), or nil after recording a failure when required.
    static func tool(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        if required { Issue.record("\(name) is not installed", sourceLocation: sourceLocation) }
        return nil
    }

    /// A free TCP port on 127.0.0.1.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(_ seconds: Double, every interval: Double = 0.05, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return condition()
}
