import VigilCore

/// `pg_stat_wal_*` counters (PostgreSQL 14 and later): WAL records, full-page images, bytes,
/// buffer-full events, writes and syncs with their time in seconds (until 17).
final class StatWal: StatCollector {
    let name = "stat_wal"

    static let common: [ColumnSpec] = [
        ColumnSpec("wal_records", "pg_stat_wal_records_total", .counter, "Total number of WAL records generated"),
        ColumnSpec("wal_fpi", "pg_stat_wal_fpi_total", .counter, "Total number of WAL full page images generated"),
        ColumnSpec("wal_bytes", "pg_stat_wal_bytes_total", .counter, "Total amount of WAL generated in bytes"),
        ColumnSpec("wal_buffers_full", "pg_stat_wal_buffers_full_total", .counter, "Number of times WAL data was written to disk because WAL buffers became full"),
        ColumnSpec("stats_reset", "pg_stat_wal_stats_reset", .gauge, "Time at which these statistics were last reset, in Unix seconds"),
    ]
    static let io: [ColumnSpec] = [
        ColumnSpec("wal_write", "pg_stat_wal_write_total", .counter, "Number of times WAL buffers were written out to disk"),
        ColumnSpec("wal_sync", "pg_stat_wal_sync_total", .counter, "Number of times WAL files were synced to disk"),
        ColumnSpec("wal_write_time", "pg_stat_wal_write_time_seconds_total", .counter, "Time spent writing WAL buffers to disk, in seconds (needs track_wal_io_timing)"),
        ColumnSpec("wal_sync_time", "pg_stat_wal_sync_time_seconds_total", .counter, "Time spent syncing WAL files to disk, in seconds (needs track_wal_io_timing)"),
    ]

    /// The write/sync columns moved to pg_stat_io in PostgreSQL 18.
    static func hasIO(_ v: ServerVersion) -> Bool { !v.atLeast(18) }

    static func query(_ v: ServerVersion) -> String {
        var cols = "wal_records, wal_fpi, wal_bytes::float8 AS wal_bytes, wal_buffers_full, COALESCE(extract(epoch FROM stats_reset), 0)::float8 AS stats_reset"
        if hasIO(v) { cols += ", wal_write, wal_sync, wal_write_time / 1000.0 AS wal_write_time, wal_sync_time / 1000.0 AS wal_sync_time" }
        return "SELECT \(cols) FROM pg_stat_wal"
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        guard server.version.atLeast(14) else { return [] }
        return Self.families(try sql.rows(Self.query(server.version)), version: server.version)
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row], version: ServerVersion) -> [MetricFamily] {
        var set = FamilyBuilder()
        let specs = Self.hasIO(version) ? Self.common + Self.io : Self.common
        for row in rows { set.add(specs, from: row, labels: Labels()) }
        return set.families
    }
}
