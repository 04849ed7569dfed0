import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

@Suite("Exact sizes every size_interval, kept in between (pure)")
struct TableSizesTests {
    func m(_ relid: String, _ node: String = "1", _ size: Double? = nil, exact: Bool? = nil) -> TableSizes.Measured {
        TableSizes.Measured(relid: relid, relfilenode: node, table: size, indexes: size.map { $0 / 2 }, exact: exact ?? (size != nil))
    }

    @Test("a full pass is due when a database was never seen and once interval seconds passed")
    func cadence() {
        var s = TableSizes(interval: 60)
        #expect(s.isDue("db", at: 0))
        #expect(s.known("db", at: 0).relids.isEmpty)
        _ = s.merge("db", [m("10", "100", 8192), m("11", "101", 16384)], fullPass: true, at: 0)
        #expect(!s.isDue("db", at: 59.9))
        #expect(s.known("db", at: 30) == (["10", "11"], ["100", "101"]))
        #expect(s.isDue("db", at: 60))
        #expect(s.known("db", at: 60).relids.isEmpty)
        #expect(s.isDue("other", at: 30))
        #expect(TableSizes(interval: 0).isDue("db", at: 0))
    }

    @Test("kept sizes fill the rows the statement left unsized; new tables are measured; dropped ones are forgotten")
    func merge() {
        var s = TableSizes(interval: 60)
        _ = s.merge("db", [m("10", "100", 8192), m("11", "101", 16384), m("12", "102", 100)], fullPass: true, at: 0)
        // Cycle 2: 10 kept, 11 rewritten (new relfilenode: measured again), 12 dropped, 13 new.
        let sizes = s.merge("db", [m("10", "100"), m("11", "201", 4096), m("13", "103", 512)], fullPass: false, at: 10)
        #expect(sizes.map(\.table) == [8192, 4096, 512])
        #expect(sizes.map(\.indexes) == [4096, 2048, 256])
        #expect(s.known("db", at: 20) == (["10", "11", "13"], ["100", "201", "103"]))
        // The pass time stays that of the full pass.
        #expect(s.isDue("db", at: 60))
    }

    @Test("an estimated size (table under an exclusive lock) is served but not kept")
    func estimate() {
        var s = TableSizes(interval: 60)
        let sizes = s.merge("db", [m("10", "100", 8192), m("11", "101", 777, exact: false)], fullPass: true, at: 0)
        #expect(sizes.map(\.table) == [8192, 777])
        #expect(s.known("db", at: 1).relids == ["10"])
        // A row left unsized with nothing kept reads 0 rather than a stale value.
        #expect(s.merge("db", [m("10", "100"), m("11", "101")], fullPass: false, at: 2).map(\.table) == [8192, 0])
    }

    @Test("between passes only tables the cache does not hold under their file are measured; a due pass measures all")
    func toMeasure() {
        var s = TableSizes(interval: 60)
        let tables = [(relid: "10", relfilenode: "100"), (relid: "11", relfilenode: "101")]
        #expect(s.toMeasure("db", tables, at: 0) == ["10", "11"])
        _ = s.merge("db", [m("10", "100", 8192), m("11", "101", 777, exact: false)], fullPass: true, at: 0)
        // 10 is kept; 11 was estimated (not kept); 12 is new; 10 rewritten would be measured.
        #expect(s.toMeasure("db", tables + [("12", "102")], at: 30) == ["11", "12"])
        #expect(s.toMeasure("db", [("10", "200")], at: 30) == ["10"])
        #expect(s.toMeasure("db", [("10", "100")], at: 30).isEmpty)
        #expect(s.toMeasure("db", [("10", "100")], at: 60) == ["10"])
        #expect(s.toMeasure("other", [("10", "100")], at: 30) == ["10"])
        #expect(TableSizes(interval: 0).toMeasure("db", [("10", "100")], at: 0) == ["10"])
    }

    @Test("databases no longer visited are forgotten")
    func keepOnly() {
        var s = TableSizes(interval: 60)
        _ = s.merge("a", [m("10", "100", 1)], fullPass: true, at: 0)
        _ = s.merge("b", [m("10", "100", 1)], fullPass: true, at: 0)
        s.keep(only: ["b"])
        #expect(s.isDue("a", at: 1))
        #expect(!s.isDue("b", at: 1))
    }
}

@Suite("Exact sizes every size_interval against a real server", .serialized)
struct SizeCadenceTests {
    static let database = "vigil_sizes"

    func size(_ f: [MetricFamily], _ name: String, _ relname: String) -> Double? {
        family(f, name)?.samples.first { $0.labels["relname"] == relname }?.value
    }

    func databaseSize(_ f: [MetricFamily]) -> Double? {
        family(f, "pg_database_size_bytes")?.samples.first { $0.labels["datname"] == Self.database }?.value
    }

    func options(_ dsn: String, interval: Double) -> PostgresCollectorOptions {
        var o = only(dsn, ["stat_user_tables", "statio_user_tables", "database"])
        o.includeDatabases = [Self.database]
        o.sizeInterval = interval
        return o
    }

    @Test("sizes are kept between passes; new tables are measured at once, rewritten ones again, dropped ones disappear",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func keptBetweenPasses() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try ensureDatabase(dsn, Self.database)
        let dbDSN = try PostgresCollectorTests.dsn(dsn, database: Self.database)
        try runSQL(dbDSN, ["DROP TABLE IF EXISTS grow, fresh, gone",
                           "CREATE TABLE grow (id int PRIMARY KEY, v text)", "CREATE TABLE gone (id int)",
                           "INSERT INTO grow SELECT i, 'x' FROM generate_series(1, 1000) i"])
        let c = PostgresCollector(options: options(dsn, interval: 3600))
        defer { c.close() }
        let f1 = try collectOnce(c)
        let table1 = try #require(size(f1, "pg_stat_user_tables_table_size_bytes", "grow"))
        let index1 = try #require(size(f1, "pg_stat_user_tables_index_size_bytes", "grow"))
        let db1 = try #require(databaseSize(f1))
        #expect(table1 > 0 && index1 > 0)
        #expect(size(f1, "pg_stat_user_tables_table_size_bytes", "gone") != nil)

        try runSQL(dbDSN, ["INSERT INTO grow SELECT i, repeat('x', 100) FROM generate_series(1001, 21000) i",
                           "CREATE TABLE fresh AS SELECT i FROM generate_series(1, 5000) i", "DROP TABLE gone",
                           // The session's counters reach the shared statistics before its reply, not at some
                           // later flush or at backend exit (which races the collection below).
                           "SELECT pg_stat_force_next_flush()"])
        let f2 = try collectOnce(c)
        // Kept: the statistics moved on, the sizes wait for the next pass.
        #expect(size(f2, "pg_stat_user_tables_table_size_bytes", "grow") == table1)
        #expect(size(f2, "pg_stat_user_tables_index_size_bytes", "grow") == index1)
        #expect(try #require(size(f2, "pg_stat_user_tables_n_tup_ins", "grow")) >= 21000)
        #expect(databaseSize(f2) == db1)
        #expect(try #require(size(f2, "pg_stat_user_tables_table_size_bytes", "fresh")) > 100_000)
        #expect(size(f2, "pg_stat_user_tables_table_size_bytes", "gone") == nil)
        // Probe, server info, database list, database sizes, table statistics, and the sizes
        // of the one new table (fresh).
        #expect(family(f2, "vigil_postgres_collection_statements")?.samples.first?.value == 6)
        // Nothing new to measure: no size statement, the same sizes.
        let kept = try collectOnce(c)
        #expect(family(kept, "vigil_postgres_collection_statements")?.samples.first?.value == 5)
        #expect(size(kept, "pg_stat_user_tables_table_size_bytes", "fresh") == size(f2, "pg_stat_user_tables_table_size_bytes", "fresh"))
        #expect(size(kept, "pg_stat_user_tables_table_size_bytes", "grow") == table1)

        // TRUNCATE gives the table a new relfilenode: measured again at once.
        try runSQL(dbDSN, ["TRUNCATE grow"])
        let f3 = try collectOnce(c)
        #expect(try #require(size(f3, "pg_stat_user_tables_table_size_bytes", "grow")) < table1)

        // size_interval 0: measured every collection, as postgres_exporter does.
        let every = PostgresCollector(options: options(dsn, interval: 0))
        defer { every.close() }
        let e1 = try collectOnce(every)
        try runSQL(dbDSN, ["INSERT INTO grow SELECT i, repeat('x', 100) FROM generate_series(1, 20000) i"])
        let e2 = try collectOnce(every)
        #expect(try #require(size(e2, "pg_stat_user_tables_table_size_bytes", "grow")) > (size(e1, "pg_stat_user_tables_table_size_bytes", "grow") ?? 0))
        #expect(try #require(databaseSize(e2)) > (databaseSize(e1) ?? 0))
    }

    @Test("once size_interval has passed, the next collection measures every size again",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func refreshedAfterInterval() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try ensureDatabase(dsn, Self.database)
        let dbDSN = try PostgresCollectorTests.dsn(dsn, database: Self.database)
        try runSQL(dbDSN, ["DROP TABLE IF EXISTS refresh", "CREATE TABLE refresh (id int, v text)"])
        let interval = 2.0
        let c = PostgresCollector(options: options(dsn, interval: interval))
        defer { c.close() }
        let passed = ContinuousClock.now
        let f1 = try collectOnce(c)
        let firstDone = ContinuousClock.now
        let before = try #require(size(f1, "pg_stat_user_tables_table_size_bytes", "refresh"))
        try runSQL(dbDSN, ["INSERT INTO refresh SELECT i, repeat('x', 100) FROM generate_series(1, 20000) i"])
        let kept = size(try collectOnce(c), "pg_stat_user_tables_table_size_bytes", "refresh")
        // (On a machine so loaded that the insert outlasted the interval, that collection was a pass.)
        if ContinuousClock.now - passed < .seconds(interval) { #expect(kept == before) }
        Thread.sleep(forTimeInterval: max(0, interval - (ContinuousClock.now - firstDone).seconds) + 0.1)
        #expect(try #require(size(try collectOnce(c), "pg_stat_user_tables_table_size_bytes", "refresh")) > before + 100_000)
    }
}
