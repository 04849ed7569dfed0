import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

@Suite("Scale: 2,000 tables over several databases", .serialized)
struct ScaleTests {
    static let databases = ["vigil_scale_1", "vigil_scale_2", "vigil_scale_3", "vigil_scale_4"]
    static let tablesPerDatabase = 500

    @Test("2,000 tables over 4 databases are collected in one cycle of a few dozen statements, never one per table", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(3)))
    func twoThousandTables() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        for db in Self.databases {
            try ensureDatabase(dsn, db, ["""
                DO $$ BEGIN
                  FOR i IN 1..\(Self.tablesPerDatabase) LOOP
                    EXECUTE format('CREATE TABLE IF NOT EXISTS t_%s (id int PRIMARY KEY, v text)', i);
                  END LOOP;
                END $$
                """])
        }
        var o = PostgresCollectorOptions(dsn: dsn)
        o.includeDatabases = Self.databases
        o.tableSeriesCap = 2000
        let c = PostgresCollector(options: o)
        // The databases stay (later runs reuse them): dropping them would break the
        // collections of tests running in parallel that visit every database.
        defer { c.close() }
        _ = try collectOnce(c, timeout: 30)  // connects to every database
        var durations: [Double] = []
        var last: [MetricFamily] = []
        for _ in 0..<3 {
            let start = ContinuousClock.now
            last = try collectOnce(c, timeout: 30)
            durations.append((ContinuousClock.now - start).seconds)
        }
        let tables = Set(family(last, "pg_stat_user_tables_seq_scan")?.samples.map { "\($0.labels["datname"] ?? "")/\($0.labels["relname"] ?? "")" } ?? [])
        #expect(tables.count == Self.databases.count * Self.tablesPerDatabase)
        let statements = family(last, "vigil_postgres_collection_statements")?.samples.first?.value ?? 0
        print("2,000 tables: collection seconds \(durations.map { String(format: "%.3f", $0) }), statements \(Int(statements))")
        // A bound for pathologies (a query per table would take tens of seconds), not a
        // benchmark: on a quiet machine the median is ≈0.2 s (scripts/bench-postgres measures
        // it beside postgres_exporter); a loaded 2-core CI machine may take several times that.
        #expect(durations.sorted()[1] < 5.0, "durations \(durations)")
        #expect(statements > 0 && statements < 100, "statements \(statements)")
        #expect(family(last, "pg_exporter_last_scrape_error")?.samples.first?.value == 0)
    }
}
