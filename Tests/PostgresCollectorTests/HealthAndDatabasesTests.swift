import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// Creates `name` when it does not exist, then runs `setup` in it.
func ensureDatabase(_ dsn: String, _ name: String, _ setup: [String] = []) throws {
    let c = try LibPQConnection(dsn: dsn, statementTimeout: 0, deadline: .after(seconds: 5))
    let found = try c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name], deadline: .after(seconds: 5)).rows.count
    c.close()
    if found == 0 { try runSQL(dsn, ["CREATE DATABASE \(name)"]) }
    if !setup.isEmpty { try runSQL(try PostgresCollectorTests.dsn(dsn, database: name), setup) }
}

/// Options with only the named collectors switched on.
func only(_ dsn: String, _ names: [String]) -> PostgresCollectorOptions {
    var o = PostgresCollectorOptions(dsn: dsn)
    o.collectors = Dictionary(uniqueKeysWithValues: PostgresCollectorOptions.defaultCollectors.keys.map { ($0, false) })
    for n in names { o.collectors[n] = true }
    return o
}

@Suite("Health, every database and replicas against a real server", .serialized)
struct HealthAndDatabasesTests {
    @Test("idle-in-transaction and blocked sessions are counted; wraparound, pg_stat_wal and extensions are there",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func health() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        let db = "vigil_health_test"
        try ensureDatabase(dsn, db, ["CREATE TABLE IF NOT EXISTS locked (id int)"])
        let dbDSN = try PostgresCollectorTests.dsn(dsn, database: db)

        let holder = try LibPQConnection(dsn: dbDSN, statementTimeout: 0, deadline: .after(seconds: 5))
        defer { holder.close() }
        _ = try holder.query("BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE", deadline: .after(seconds: 5))

        // A second session blocks on the lock, on its own thread, for at most 10 s.
        // No statement/lock timeout on the waiter: it waits until the holder commits.
        let waiter = try LibPQConnection(dsn: dbDSN, statementTimeout: 0, lockTimeout: 0, deadline: .after(seconds: 5))
        let done = DispatchSemaphore(value: 0)
        let box = UncheckedBox(waiter)
        Thread.detachNewThread {
            _ = try? box.value.query("SELECT count(*) FROM locked", deadline: .after(seconds: 10))
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.5)

        var options = only(dsn, ["idle_in_transaction", "blocked_sessions", "database_wraparound", "stat_wal", "extensions", "stat_user_tables"])
        // Per-database statistics only here (other tests' databases hold thousands of tables).
        options.includeDatabases = [db, "postgres"]
        let c = PostgresCollector(options: options)
        defer { c.close() }
        let started = ContinuousClock.now
        let families = try collectOnce(c)
        // The locked table's size is estimated instead of waited for.
        #expect(ContinuousClock.now - started < .milliseconds(900))
        #expect(family(families, "pg_stat_user_tables_table_size_bytes")?.samples.contains { $0.labels["relname"] == "locked" } == true)
        _ = try holder.query("COMMIT", deadline: .after(seconds: 5))
        _ = done.wait(timeout: .now() + 10)
        waiter.close()

        for s in family(families, "pg_scrape_collector_success")?.samples ?? [] {
            #expect(s.value == 1, "\(s.labels)")
        }
        let idle = try #require(family(families, "pg_idle_in_transaction_sessions"))
        #expect(idle.samples.first { $0.labels["datname"] == db }?.value == 1)
        let oldest = try #require(family(families, "pg_idle_in_transaction_oldest_seconds"))
        #expect((oldest.samples.first { $0.labels["datname"] == db }?.value ?? 0) >= 0.4)
        let blocked = try #require(family(families, "pg_blocked_sessions"))
        // Other tests' collectors may be waiting on the same lock for a moment, too.
        #expect((blocked.samples.first { $0.labels["datname"] == db }?.value ?? 0) >= 1)
        let wrap = try #require(family(families, "pg_database_wraparound_age_datfrozenxid_seconds"))
        #expect(wrap.samples.contains { $0.labels["datname"] == db && $0.value > 0 })
        #expect(family(families, "pg_stat_wal_records_total")?.type == .counter)
        #expect((family(families, "pg_stat_wal_bytes_total")?.samples.first?.value ?? 0) > 0)
        let ext = try #require(family(families, "pg_extension_info"))
        #expect(ext.samples.contains { $0.labels["datname"] == "postgres" && $0.labels["extname"] == "pg_stat_statements" })
        #expect(ext.samples.contains { $0.labels["datname"] == db && $0.labels["extname"] == "plpgsql" })
    }

    @Test("per-table statistics cover every included database; exclusions and the cap apply",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func everyDatabase() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try ensureDatabase(dsn, "vigil_multi_a", ["CREATE TABLE IF NOT EXISTS a1 (id int)", "CREATE TABLE IF NOT EXISTS a2 (id int)",
                                                  "INSERT INTO a1 SELECT generate_series(1, 5000) WHERE NOT EXISTS (SELECT 1 FROM a1)"])
        try ensureDatabase(dsn, "vigil_multi_b", ["CREATE TABLE IF NOT EXISTS b1 (id int)"])

        var o = only(dsn, ["stat_user_tables", "statio_user_tables"])
        o.includeDatabases = ["vigil_multi_a", "vigil_multi_b"]
        let c = PostgresCollector(options: o)
        defer { c.close() }
        let f = try collectOnce(c)
        let size = try #require(family(f, "pg_stat_user_tables_table_size_bytes"))
        let tables = Set(size.samples.map { "\($0.labels["datname"] ?? "")/\($0.labels["relname"] ?? "")" })
        #expect(tables == ["vigil_multi_a/a1", "vigil_multi_a/a2", "vigil_multi_b/b1"])
        #expect(family(f, "pg_statio_user_tables_heap_blocks_hit") != nil)
        // Statements: the probe, the server info, the database list and, per database, the
        // statistics and (first sight: every table is new) the sizes; then statistics only.
        #expect(family(f, "vigil_postgres_collection_statements")?.samples.first?.value == 7)
        #expect(family(try collectOnce(c), "vigil_postgres_collection_statements")?.samples.first?.value == 5)

        o.excludeDatabases = ["vigil_multi_b"]
        o.tableSeriesCap = 1
        let c2 = PostgresCollector(options: o)
        defer { c2.close() }
        let f2 = try collectOnce(c2)
        let size2 = try #require(family(f2, "pg_stat_user_tables_table_size_bytes"))
        #expect(size2.samples.map { "\($0.labels["datname"] ?? "")/\($0.labels["relname"] ?? "")" } == ["vigil_multi_a/a1", "vigil_multi_a/other"])
    }

    @Test("replica lag on both sides of a streaming replica", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_REPLICA_DSN")))
    func replica() throws {
        let primary = try #require(TestEnvironment.pgDSN())
        let replica = try #require(TestEnvironment.value("VIGIL_TEST_PG_REPLICA_DSN"))
        try runSQL(primary, ["CREATE TABLE IF NOT EXISTS vigil_repl (id int)", "INSERT INTO vigil_repl VALUES (1)"])
        Thread.sleep(forTimeInterval: 0.5)

        let p = PostgresCollector(options: only(primary, ["replication", "stat_replication", "replication_slot", "replication_slots"]))
        defer { p.close() }
        let pf = try collectOnce(p)
        #expect(family(pf, "pg_replication_is_replica")?.samples.first?.value == 0)
        let lag = try #require(family(pf, "pg_stat_replication_replay_lag_seconds"))
        #expect(!lag.samples.isEmpty)
        #expect(lag.samples.allSatisfy { $0.value >= 0 && $0.value < 60 })
        #expect(family(pf, "pg_stat_replication_write_lag_seconds") != nil)
        #expect(family(pf, "pg_stat_replication_flush_lag_seconds") != nil)
        let diff = try #require(family(pf, "pg_stat_replication_pg_wal_lsn_diff"))
        #expect(diff.samples.allSatisfy { $0.value >= 0 })

        let r = PostgresCollector(options: only(replica, ["replication", "stat_replication", "replication_slot"]))
        defer { r.close() }
        let rf = try collectOnce(r)
        #expect(family(rf, "pg_replication_is_replica")?.samples.first?.value == 1)
        let rlag = try #require(family(rf, "pg_replication_lag_seconds")?.samples.first?.value)
        #expect(rlag >= 0 && rlag < 60)
        #expect(family(rf, "pg_replication_last_replay_seconds") != nil)
    }

    @Test("retained WAL per slot", .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")))
    func retainedWAL() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try runSQL(dsn, ["SELECT pg_create_physical_replication_slot('vigil_retain_slot', true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'vigil_retain_slot')",
                         "CREATE TABLE IF NOT EXISTS vigil_wal_churn (v text)",
                         "INSERT INTO vigil_wal_churn SELECT repeat('x', 100) FROM generate_series(1, 2000)"])
        defer { try? runSQL(dsn, ["SELECT pg_drop_replication_slot('vigil_retain_slot')"]) }
        let c = PostgresCollector(options: only(dsn, ["replication_slot"]))
        defer { c.close() }
        let f = try collectOnce(c)
        let retained = try #require(family(f, "pg_replication_slot_retained_wal_bytes"))
        #expect((retained.samples.first { $0.labels["slot_name"] == "vigil_retain_slot" }?.value ?? 0) > 100_000)
    }
}

/// Moves a non-Sendable value to another thread in a test that hands it over completely.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

@Suite("Connection set-up ahead of the cycle", .serialized)
struct PostgresConnectPhaseTests {
    @Test("connect(deadline:) opens the main connection and one to every database the cycle will visit, before the cycle's clock starts",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func connectsEveryDatabaseAhead() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        for db in ["vigil_connect_a", "vigil_connect_b"] { try ensureDatabase(dsn, db) }
        var o = PostgresCollectorOptions(dsn: dsn)
        o.applicationName = "vigil-connect-phase-\(UInt32.random(in: 0...UInt32.max))"
        o.includeDatabases = ["postgres", "vigil_connect_a", "vigil_connect_b"]
        let c = PostgresCollector(options: o)
        defer { c.close() }
        #expect(c.connectTimeout > 0)
        try c.connect(deadline: .after(seconds: 20))
        let check = try LibPQConnection(dsn: dsn, statementTimeout: 0, deadline: .after(seconds: 10))
        defer { check.close() }
        let rows = try check.query("SELECT datname FROM pg_stat_activity WHERE application_name = $1 ORDER BY datname",
                                   [o.applicationName], deadline: .after(seconds: 10)).rows
        let databases = rows.compactMap { $0[0] }
        #expect(Set(databases) == Set(o.includeDatabases), "\(databases)")
        #expect(databases.count == 3)
        // A second call connects nothing new.
        try c.connect(deadline: .after(seconds: 20))
        let again = try check.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                                    [o.applicationName], deadline: .after(seconds: 10)).rows
        #expect(again.first?[0] == "3")
        // The cycle then uses those connections.
        let families = try collectOnce(c)
        #expect(family(families, "pg_up") == nil)
        #expect(family(families, "pg_exporter_last_scrape_error")?.samples.first?.value == 0)
    }
}
