import VigilCore

/// `pg_stat_database_*` {datid, datname}, as postgres_exporter's stat_database collector.
final class StatDatabase: StatCollector {
    let name = "stat_database"

    static let specs: [ColumnSpec] = [
        ColumnSpec("numbackends", "pg_stat_database_numbackends", .gauge, "Number of backends currently connected to this database. This is the only column in this view that returns a value reflecting current state; all other columns return the accumulated values since the last reset."),
        ColumnSpec("xact_commit", "pg_stat_database_xact_commit", .counter, "Number of transactions in this database that have been committed"),
        ColumnSpec("xact_rollback", "pg_stat_database_xact_rollback", .counter, "Number of transactions in this database that have been rolled back"),
        ColumnSpec("blks_read", "pg_stat_database_blks_read", .counter, "Number of disk blocks read in this database"),
        ColumnSpec("blks_hit", "pg_stat_database_blks_hit", .counter, "Number of times disk blocks were found already in the buffer cache, so that a read was not necessary (this only includes hits in the PostgreSQL buffer cache, not the operating system's file system cache)"),
        ColumnSpec("tup_returned", "pg_stat_database_tup_returned", .counter, "Number of rows returned by queries in this database"),
        ColumnSpec("tup_fetched", "pg_stat_database_tup_fetched", .counter, "Number of rows fetched by queries in this database"),
        ColumnSpec("tup_inserted", "pg_stat_database_tup_inserted", .counter, "Number of rows inserted by queries in this database"),
        ColumnSpec("tup_updated", "pg_stat_database_tup_updated", .counter, "Number of rows updated by queries in this database"),
        ColumnSpec("tup_deleted", "pg_stat_database_tup_deleted", .counter, "Number of rows deleted by queries in this database"),
        ColumnSpec("conflicts", "pg_stat_database_conflicts", .counter, "Number of queries canceled due to conflicts with recovery in this database. (Conflicts occur only on standby servers; see pg_stat_database_conflicts for details.)"),
        ColumnSpec("temp_files", "pg_stat_database_temp_files", .counter, "Number of temporary files created by queries in this database. All temporary files are counted, regardless of why the temporary file was created (e.g., sorting or hashing), and regardless of the log_temp_files setting."),
        ColumnSpec("temp_bytes", "pg_stat_database_temp_bytes", .counter, "Total amount of data written to temporary files by queries in this database. All temporary files are counted, regardless of why the temporary file was created, and regardless of the log_temp_files setting."),
        ColumnSpec("deadlocks", "pg_stat_database_deadlocks", .counter, "Number of deadlocks detected in this database"),
        ColumnSpec("blk_read_time", "pg_stat_database_blk_read_time", .counter, "Time spent reading data file blocks by backends in this database, in milliseconds"),
        ColumnSpec("blk_write_time", "pg_stat_database_blk_write_time", .counter, "Time spent writing data file blocks by backends in this database, in milliseconds"),
        ColumnSpec("stats_reset", "pg_stat_database_stats_reset", .counter, "Time at which these statistics were last reset"),
    ]
    static let activeTime = ColumnSpec("active_time_seconds", "pg_stat_database_active_time_seconds_total", .counter, "Time spent executing SQL statements in this database, in seconds")

    static func query(_ version: ServerVersion) -> String {
        var cols = "datid, datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, conflicts, temp_files, temp_bytes, deadlocks, blk_read_time, blk_write_time, extract(epoch FROM stats_reset)::float8 AS stats_reset"
        if version.atLeast(14) { cols += ", active_time / 1000.0 AS active_time_seconds" }
        return "SELECT \(cols) FROM pg_stat_database"
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query(server.version)), version: server.version)
    }

    static func families(_ rows: [Row], version: ServerVersion) -> [MetricFamily] {
        var set = FamilyBuilder()
        let specs = version.atLeast(14) ? Self.specs + [activeTime] : Self.specs
        // The row for shared objects has no datname: postgres_exporter skips it.
        for row in rows where row["datid"] != nil && row["datname"] != nil {
            set.add(specs, from: row, labels: ["datid": row.label("datid"), "datname": row.label("datname")])
        }
        return set.families
    }
}
