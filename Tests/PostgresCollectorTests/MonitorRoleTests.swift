import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

@Suite("A non-superuser member of pg_monitor", .serialized)
struct MonitorRoleTests {
    @Test("collects everything: every collector succeeds", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func monitorRole() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try runSQL(dsn, [
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_monitor_test') THEN CREATE ROLE vigil_monitor_test LOGIN PASSWORD 'monitor-test-pw'; END IF; END $$",
            "GRANT pg_monitor TO vigil_monitor_test",
            "CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
        ])
        // A database the role may not connect to is left out, not reported as a failure.
        try ensureDatabase(dsn, "vigil_noconnect_test")
        try runSQL(dsn, ["REVOKE CONNECT ON DATABASE vigil_noconnect_test FROM PUBLIC"])
        let p = try LibPQConnection.parse(dsn: dsn)
        let monitorDSN = "host=\(p["host"] ?? "") port=\(p["port"] ?? "") user=vigil_monitor_test password=monitor-test-pw dbname=\(p["dbname"] ?? "postgres") sslmode=disable"
        let c = PostgresCollector(options: PostgresCollectorOptions(dsn: monitorDSN))
        defer { c.close() }
        let families = try collectOnce(c)
        let success = try #require(family(families, "pg_scrape_collector_success"))
        #expect(success.samples.count > 20)
        for s in success.samples {
            #expect(s.value == 1, "collector \(s.labels["collector"] ?? "?") failed as pg_monitor")
        }
        #expect((family(families, "pg_wal_segments")?.samples.first?.value ?? 0) > 0)
        #expect(family(families, "pg_stat_statements_calls_total") != nil)
        #expect(family(families, "pg_database_size_bytes")?.samples.allSatisfy { $0.value > 0 } == true)
    }
}
