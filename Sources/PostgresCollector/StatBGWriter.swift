import VigilCore

/// `pg_stat_bgwriter_*_total`. PostgreSQL 17 moved the checkpoint columns to
/// pg_stat_checkpointer; only the background writer's own columns remain here.
final class StatBGWriter: StatCollector {
    let name = "stat_bgwriter"

    static let before17: [ColumnSpec] = [
        ColumnSpec("checkpoints_timed", "pg_stat_bgwriter_checkpoints_timed_total", .counter, "Number of scheduled checkpoints that have been performed"),
        ColumnSpec("checkpoints_req", "pg_stat_bgwriter_checkpoints_req_total", .counter, "Number of requested checkpoints that have been performed"),
        ColumnSpec("checkpoint_write_time", "pg_stat_bgwriter_checkpoint_write_time_total", .counter, "Total amount of time that has been spent in the portion of checkpoint processing where files are written to disk, in milliseconds"),
        ColumnSpec("checkpoint_sync_time", "pg_stat_bgwriter_checkpoint_sync_time_total", .counter, "Total amount of time that has been spent in the portion of checkpoint processing where files are synchronized to disk, in milliseconds"),
        ColumnSpec("buffers_checkpoint", "pg_stat_bgwriter_buffers_checkpoint_total", .counter, "Number of buffers written during checkpoints"),
        ColumnSpec("buffers_clean", "pg_stat_bgwriter_buffers_clean_total", .counter, "Number of buffers written by the background writer"),
        ColumnSpec("maxwritten_clean", "pg_stat_bgwriter_maxwritten_clean_total", .counter, "Number of times the background writer stopped a cleaning scan because it had written too many buffers"),
        ColumnSpec("buffers_backend", "pg_stat_bgwriter_buffers_backend_total", .counter, "Number of buffers written directly by a backend"),
        ColumnSpec("buffers_backend_fsync", "pg_stat_bgwriter_buffers_backend_fsync_total", .counter, "Number of times a backend had to execute its own fsync call (normally the background writer handles those even when the backend does its own write)"),
        ColumnSpec("buffers_alloc", "pg_stat_bgwriter_buffers_alloc_total", .counter, "Number of buffers allocated"),
        ColumnSpec("stats_reset", "pg_stat_bgwriter_stats_reset_total", .counter, "Time at which these statistics were last reset"),
    ]
    static let from17: [ColumnSpec] = before17.filter { ["buffers_clean", "maxwritten_clean", "buffers_alloc", "stats_reset"].contains($0.column) }

    static func query(_ v: ServerVersion) -> String {
        let cols = (v.atLeast(17) ? from17 : before17).map { $0.column == "stats_reset" ? "extract(epoch FROM stats_reset)::float8 AS stats_reset" : $0.column }
        return "SELECT \(cols.joined(separator: ", ")) FROM pg_stat_bgwriter"
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query(server.version)), version: server.version)
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row], version: ServerVersion) -> [MetricFamily] {
        var set = FamilyBuilder()
        let specs = version.atLeast(17) ? Self.from17 : Self.before17
        for row in rows {
            set.add(specs, from: row, labels: Labels())
        }
        return set.families
    }
}
