import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// Runs collections the way the Scheduler does: on the calling thread, bounded by a deadline.
func collectOnce(_ collector: PostgresCollector, timeout: Double = 10) throws -> [MetricFamily] {
    try collector.collect(CollectContext(startedAt: Date(), deadline: .after(seconds: timeout)))
}

func family(_ families: [MetricFamily], _ name: String) -> MetricFamily? {
    families.first(where: { $0.name == name })
}

/// Runs SQL on the test server (setup and workloads), in its own session.
func runSQL(_ dsn: String, _ statements: [String], timeout: Double = 30) throws {
    let c = try LibPQConnection(dsn: dsn, statementTimeout: 0, deadline: .after(seconds: 10))
    defer { c.close() }
    for s in statements { _ = try c.query(s, deadline: .after(seconds: timeout)) }
}

/// The DSN with another database.
enum PostgresCollectorTests {}

extension PostgresCollectorTests {
    static func dsn(_ dsn: String, database: String) throws -> String {
        let p = try LibPQConnection.parse(dsn: dsn)
        return "host=\(p["host"] ?? "") port=\(p["port"] ?? "") user=\(p["user"] ?? "") password='\(p["password"] ?? "")' dbname=\(database) sslmode=disable"
    }
}
