import VigilCore

/// `pg_replication_slots_active` and `pg_replication_slots_pg_wal_lsn_diff` {slot_name, database}:
/// the WAL each slot retains, in bytes (postgres_exporter's pg_replication_slots map).
final class ReplicationSlots: StatCollector {
    let name = "replication_slots"

    static let query = """
        SELECT slot_name, database, active,
               (CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), restart_lsn)
                     ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END)::float8 AS pg_wal_lsn_diff
        FROM pg_replication_slots
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            let labels: Labels = ["slot_name": row.label("slot_name"), "database": row.label("database")]
            if let a = row.double("active") {
                set.gauge("pg_replication_slots_active", a, labels, help: "Flag indicating if the slot is active")
            }
            if let d = row.double("pg_wal_lsn_diff") {
                set.gauge("pg_replication_slots_pg_wal_lsn_diff", d, labels, help: "Replication lag in bytes")
            }
        }
        return set.families
    }
}
