import VigilCore

/// `pg_stat_database_conflicts_confl_*` {datid, datname}.
final class StatDatabaseConflicts: StatCollector {
    let name = "stat_database_conflicts"

    static let specs: [ColumnSpec] = [
        ColumnSpec("confl_tablespace", "pg_stat_database_conflicts_confl_tablespace", .counter, "Number of queries in this database that have been canceled due to dropped tablespaces"),
        ColumnSpec("confl_lock", "pg_stat_database_conflicts_confl_lock", .counter, "Number of queries in this database that have been canceled due to lock timeouts"),
        ColumnSpec("confl_snapshot", "pg_stat_database_conflicts_confl_snapshot", .counter, "Number of queries in this database that have been canceled due to old snapshots"),
        ColumnSpec("confl_bufferpin", "pg_stat_database_conflicts_confl_bufferpin", .counter, "Number of queries in this database that have been canceled due to pinned buffers"),
        ColumnSpec("confl_deadlock", "pg_stat_database_conflicts_confl_deadlock", .counter, "Number of queries in this database that have been canceled due to deadlocks"),
    ]

    static let query = "SELECT datid, datname, confl_tablespace, confl_lock, confl_snapshot, confl_bufferpin, confl_deadlock FROM pg_stat_database_conflicts"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows where row["datname"] != nil {
            set.add(Self.specs, from: row, labels: ["datid": row.label("datid"), "datname": row.label("datname")])
        }
        return set.families
    }
}
