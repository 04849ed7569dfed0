import Foundation
import Testing

/// The integration test environment (see the common test contract): server addresses come
/// from the environment; when servers are required and one is missing, the test fails.
enum TestEnvironment {
    static var env: [String: String] { ProcessInfo.processInfo.environment }

    static var serversRequired: Bool {
        env["VIGIL_TEST_REQUIRE_SERVERS"] == "1" || env["CI"] == "true"
    }

    /// The DSN of the test server, or nil (recording an issue when servers are required).
    static func pgDSN() -> String? { value("VIGIL_TEST_PG_DSN") }

    static func value(_ name: String) -> String? {
        if let v = env[name], !v.isEmpty { return v }
        if serversRequired { Issue.record("\(name) is not set but servers are required") }
        return nil
    }

    /// Whether a test needing `name` can run (for `.enabled(if:)`): true when the variable is
    /// set, and also when servers are required, so that the test runs and records the failure.
    static func has(_ name: String) -> Bool {
        if let v = env[name], !v.isEmpty { return true }
        return serversRequired
    }
}

extension ContinuousClock.Instant {
    static func after(seconds: Double) -> ContinuousClock.Instant {
        .now + .milliseconds(Int64(seconds * 1000))
    }
}
