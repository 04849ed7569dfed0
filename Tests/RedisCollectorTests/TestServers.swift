import Foundation
import Testing

/// The integration-test environment contract (see the common brief): servers come from
/// environment variables; when `VIGIL_TEST_REQUIRE_SERVERS=1` or `CI=true`, a missing one fails.
enum TestServers {
    static var required: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["VIGIL_TEST_REQUIRE_SERVERS"] == "1" || env["CI"] == "true"
    }

    /// The value of `name`, or nil (recording an issue when servers are required).
    static func value(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let v = ProcessInfo.processInfo.environment[name], !v.isEmpty { return v }
        if required { Issue.record("\(name) is not set but VIGIL_TEST_REQUIRE_SERVERS/CI requires it", sourceLocation: sourceLocation) }
        return nil
    }

    static var redisURL: String? { value("VIGIL_TEST_REDIS_URL") }
}
