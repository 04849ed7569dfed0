import VigilCore

/// `pg_stat_checkpointer_*_total` (PostgreSQL 17 and later; nothing before).
final class StatCheckpointer: StatCollector {
    let name = "stat_checkpointer"

    static let specs: [ColumnSpec] = [
        ColumnSpec("num_timed", "pg_stat_checkpointer_num_timed_total", .counter, "Number of scheduled checkpoints due to timeout"),
        ColumnSpec("num_requested", "pg_stat_checkpointer_num_requested_total", .counter, "Number of requested checkpoints that have been performed"),
        ColumnSpec("restartpoints_timed", "pg_stat_checkpointer_restartpoints_timed_total", .counter, "Number of scheduled restartpoints due to timeout or after a failed attempt to perform it"),
        ColumnSpec("restartpoints_req", "pg_stat_checkpointer_restartpoints_req_total", .counter, "Number of requested restartpoints"),
        ColumnSpec("restartpoints_done", "pg_stat_checkpointer_restartpoints_done_total", .counter, "Number of restartpoints that have been performed"),
        ColumnSpec("write_time", "pg_stat_checkpointer_write_time_total", .counter, "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are written to disk, in milliseconds"),
        ColumnSpec("sync_time", "pg_stat_checkpointer_sync_time_total", .counter, "Total amount of time that has been spent in the portion of processing checkpoints and restartpoints where files are synchronized to disk, in milliseconds"),
        ColumnSpec("buffers_written", "pg_stat_checkpointer_buffers_written_total", .counter, "Number of buffers written during checkpoints and restartpoints"),
        ColumnSpec("stats_reset", "pg_stat_checkpointer_stats_reset_total", .counter, "Time at which these statistics were last reset"),
    ]

    static let query = "SELECT num_timed, num_requested, restartpoints_timed, restartpoints_req, restartpoints_done, write_time, sync_time, buffers_written, extract(epoch FROM stats_reset)::float8 AS stats_reset FROM pg_stat_checkpointer"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        guard server.version.atLeast(17) else { return [] }
        return Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows { set.add(Self.specs, from: row, labels: Labels()) }
        return set.families
    }
}
