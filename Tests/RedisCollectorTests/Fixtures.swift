import Foundation
import Testing

/// Reads a fixture file shipped with the test target (Tests/RedisCollectorTests/Fixtures).
enum Fixtures {
    static func text(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let base = try #require(Bundle.module.resourceURL, sourceLocation: sourceLocation)
        let url = base.appendingPathComponent("Fixtures").appendingPathComponent(name)
        return try String(contentsOf: url, encoding: .utf8)
    }
}
