public import Foundation
public import Testing

/// The servers and tools `scripts/test` provides. Under CI (or `VIGIL_TEST_REQUIRE_SERVERS=1`)
/// a missing one fails the test instead of skipping it.
public enum TestEnvironment {
    public static var env: [String: String] { ProcessInfo.processInfo.environment }

    /// Whether integration tests must fail, not skip, when their server is missing.
    public static var required: Bool { env["CI"] == "true" || env["VIGIL_TEST_REQUIRE_SERVERS"] == "1" }

    /// The value of `name`, or nil after recording a failure (when required) so the caller returns.
    public static func value(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let v = env[name], !v.isEmpty { return v }
        if required {
            Issue.record("\(name) is not set: run the suite through scripts/test", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// Whether a test needing `name` should run (it will then fail through `value` when missing).
    public static func has(_ name: String) -> Bool {
        if let v = env[name], !v.isEmpty { return true }
        return required
    }

    public static var vigilBinary: String? { value("VIGIL_BIN") }
    public static var postgresDSN: String? { value("VIGIL_TEST_PG_DSN") }
    public static func pgDSN(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        value("VIGIL_TEST_PG_DSN", sourceLocation: sourceLocation)
    }
    public static var redisURL: String? { value("VIGIL_TEST_REDIS_URL") }
    /// Servers reserved for tests that stop and start them, so no other suite running in
    /// parallel sees them go away.
    public static var outagePostgresDSN: String? { value("VIGIL_TEST_OUTAGE_PG_DSN") }
    public static var outageRedisURL: String? { value("VIGIL_TEST_OUTAGE_REDIS_URL") }

    /// Runs a `*_CTL` script (`stop` / `start`) and reports whether it succeeded.
    @discardableResult
    public static func control(_ variable: String, _ action: String) -> Bool {
        guard let script = value(variable) else { return false }
        return (try? Subprocess.run(script, [action], timeout: 60).status) == 0
    }

    /// A tool on PATH (promtool, prometheus, …), or nil after recording a failure when required:
    /// under CI a missing peer fails its test instead of skipping it.
    public static func tool(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let path = executable(name) { return path }
        if required { Issue.record("\(name) is not installed", sourceLocation: sourceLocation) }
        return nil
    }

    /// The executable `name` on PATH (or in /usr/bin), or nil.
    public static func executable(_ name: String) -> String? {
        for dir in (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"] {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    public static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Polls `condition` until it holds or `seconds` pass.
public func eventually(_ seconds: Double, every interval: Double = 0.05, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return condition()
}

/// Stops a child process for good. Children started by Foundation's `Process` inside
/// swift-testing inherit a signal mask that blocks SIGTERM, so SIGKILL it is.
public func stopChild(_ p: Process) {
    guard p.isRunning else { return }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
}

extension ContinuousClock.Instant {
    public static func after(seconds: Double) -> ContinuousClock.Instant {
        .now + .milliseconds(Int64(seconds * 1000))
    }
}
