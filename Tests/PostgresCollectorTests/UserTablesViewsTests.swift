import Foundation
import Testing
import VigilCore
@testable import PostgresCollector
import VigilTestSupport

/// The per-table statement reads the statistics functions rather than the views, with its
/// own index sums: its values must be the views' values, column for column.
@Suite("Per-table statistics equal pg_stat_user_tables and pg_statio_user_tables", .serialized)
struct UserTablesViewsTests {
    static let database = "vigil_views"

    /// Every exposed column, as the views compute it (NULL as 0, timestamps as Unix seconds).
    static let viewQuery = """
        SELECT s.seq_scan, s.seq_tup_read, COALESCE(s.idx_scan, 0) AS idx_scan, COALESCE(s.idx_tup_fetch, 0) AS idx_tup_fetch,
               s.n_tup_ins, s.n_tup_upd, s.n_tup_del, s.n_tup_hot_upd, s.n_live_tup, s.n_dead_tup, s.n_mod_since_analyze,
               COALESCE(extract(epoch FROM s.last_vacuum), 0)::float8 AS last_vacuum,
               COALESCE(extract(epoch FROM s.last_autovacuum), 0)::float8 AS last_autovacuum,
               COALESCE(extract(epoch FROM s.last_analyze), 0)::float8 AS last_analyze,
               COALESCE(extract(epoch FROM s.last_autoanalyze), 0)::float8 AS last_autoanalyze,
               s.vacuum_count, s.autovacuum_count, s.analyze_count, s.autoanalyze_count,
               COALESCE(io.heap_blks_read, 0) AS heap_blks_read, COALESCE(io.heap_blks_hit, 0) AS heap_blks_hit,
               COALESCE(io.idx_blks_read, 0) AS idx_blks_read, COALESCE(io.idx_blks_hit, 0) AS idx_blks_hit,
               COALESCE(io.toast_blks_read, 0) AS toast_blks_read, COALESCE(io.toast_blks_hit, 0) AS toast_blks_hit,
               COALESCE(io.tidx_blks_read, 0) AS tidx_blks_read, COALESCE(io.tidx_blks_hit, 0) AS tidx_blks_hit,
               pg_table_size(s.relid) AS table_size, pg_indexes_size(s.relid) AS indexes_size
        FROM pg_stat_user_tables s JOIN pg_statio_user_tables io ON io.relid = s.relid
        WHERE s.relname = $1
        """

    @Test("after inserts, updates, deletes, scans through two indexes, TOASTed values, VACUUM and ANALYZE, every family holds the views' value",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func sameAsViews() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try ensureDatabase(dsn, Self.database)
        let dbDSN = try PostgresCollectorTests.dsn(dsn, database: Self.database)
        // Autovacuum is off for the table, so nothing changes it between the collection and
        // the views' read.
        try runSQL(dbDSN, [
            "DROP TABLE IF EXISTS checked, untouched",
            "CREATE TABLE checked (id int PRIMARY KEY, k int, v text) WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false)",
            "CREATE INDEX checked_k ON checked (k)",
            "CREATE TABLE untouched (id int) WITH (autovacuum_enabled = false)",
            "INSERT INTO checked SELECT i, i % 10, CASE WHEN i % 100 = 0 THEN (SELECT string_agg(md5(j::text), '') FROM generate_series(1, 400) j) ELSE 'x' END FROM generate_series(1, 3000) i",
            "UPDATE checked SET v = 'y' WHERE id % 7 = 0",
            "DELETE FROM checked WHERE id % 11 = 0",
            "VACUUM checked",
            "ANALYZE checked",
            "SET enable_seqscan = off",
            "SELECT count(*) FROM checked WHERE id BETWEEN 10 AND 500",
            "SELECT count(*) FROM checked WHERE k = 3",
            "SELECT length(v) FROM checked WHERE id = 200",
            "RESET enable_seqscan",
            "SELECT count(*) FROM checked",
            "SELECT pg_stat_force_next_flush()",
        ])
        var o = only(dsn, ["stat_user_tables", "statio_user_tables"])
        o.includeDatabases = [Self.database]
        let c = PostgresCollector(options: o)
        defer { c.close() }
        let collected = try collectOnce(c)

        let view = try LibPQConnection(dsn: dbDSN, statementTimeout: 0, deadline: .after(seconds: 10))
        defer { view.close() }
        for relname in ["checked", "untouched"] {
            let expected = try #require(try view.query(Self.viewQuery, [relname], deadline: .after(seconds: 10)).namedRows.first)
            for spec in StatUserTables.specs + StatioUserTables.specs {
                let sample = family(collected, spec.name)?.samples.first { $0.labels["datname"] == Self.database && $0.labels["relname"] == relname }
                #expect(sample?.value == expected.double(spec.column), "\(relname) \(spec.name)")
            }
        }
        // The workload did reach every kind of counter (the comparison above is not of zeros).
        let checked = { (name: String) in family(collected, name)?.samples.first { $0.labels["relname"] == "checked" }?.value ?? 0 }
        for name in ["pg_stat_user_tables_idx_scan", "pg_stat_user_tables_n_tup_del", "pg_stat_user_tables_last_vacuum",
                     "pg_stat_user_tables_analyze_count", "pg_statio_user_tables_idx_blocks_hit", "pg_statio_user_tables_toast_blocks_hit",
                     "pg_statio_user_tables_tidx_blocks_hit", "pg_stat_user_tables_index_size_bytes"] {
            #expect(checked(name) > 0, "\(name)")
        }
    }

    @Test("a collection with nothing to measure sends one statement per database for per-table statistics",
          .enabled(if: TestEnvironment.has("VIGIL_TEST_PG_DSN")), .timeLimit(.minutes(1)))
    func statementsPerCollection() throws {
        let dsn = try #require(TestEnvironment.pgDSN())
        try ensureDatabase(dsn, Self.database, ["CREATE TABLE IF NOT EXISTS counted (id int)"])
        var o = only(dsn, ["stat_user_tables", "statio_user_tables"])
        o.includeDatabases = [Self.database]
        let c = PostgresCollector(options: o)
        defer { c.close() }
        let statements = { (f: [MetricFamily]) in family(f, "vigil_postgres_collection_statements")?.samples.first?.value }
        // The first collection also measures every size (probe, server info, database list,
        // statistics, sizes); later ones only read statistics.
        #expect(statements(try collectOnce(c)) == 5)
        #expect(statements(try collectOnce(c)) == 4)
        #expect(statements(try collectOnce(c)) == 4)
    }
}
