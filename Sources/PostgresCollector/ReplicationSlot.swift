import VigilCore

/// postgres_exporter's replication_slot collector: `pg_replication_slot_slot_current_wal_lsn`,
/// `…_slot_confirmed_flush_lsn` (active slots), `…_slot_is_active`, `…_safe_wal_size_bytes`
/// (13+) {slot_name, slot_type} and `…_wal_status` {slot_name, slot_type, wal_status} (13+).
final class ReplicationSlot: StatCollector {
    let name = "replication_slot"

    static func query(_ v: ServerVersion) -> String {
        let extra = v.atLeast(13) ? ", safe_wal_size, wal_status" : ", NULL::bigint AS safe_wal_size, NULL::text AS wal_status"
        return """
            SELECT slot_name, slot_type,
                   (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() - '0/0'
                         ELSE pg_current_wal_lsn() - '0/0' END)::float8 AS current_wal_lsn,
                   (COALESCE(confirmed_flush_lsn, '0/0') - '0/0')::float8 AS confirmed_flush_lsn,
                   (CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), restart_lsn)
                         ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END)::float8 AS retained_wal,
                   active\(extra)
            FROM pg_replication_slots
            """
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query(server.version)))
    }

    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            let slot = row["slot_name"] ?? "unknown"
            let type = row["slot_type"] ?? "unknown"
            let labels: Labels = ["slot_name": slot, "slot_type": type]
            let active = row.value("active") == 1
            set.gauge("pg_replication_slot_slot_current_wal_lsn", row.value("current_wal_lsn"), labels, help: "current wal lsn value")
            if active {
                set.gauge("pg_replication_slot_slot_confirmed_flush_lsn", row.value("confirmed_flush_lsn"), labels, help: "last lsn confirmed flushed to the replication slot")
            }
            set.gauge("pg_replication_slot_slot_is_active", active ? 1 : 0, labels, help: "whether the replication slot is active or not")
            if let retained = row.double("retained_wal") {
                set.gauge("pg_replication_slot_retained_wal_bytes", retained, labels, help: "WAL the slot keeps on disk (from its restart_lsn to the current WAL position), in bytes.")
            }
            if let safe = row.double("safe_wal_size") {
                set.gauge("pg_replication_slot_safe_wal_size_bytes", safe, labels, help: "number of bytes that can be written to WAL such that this slot is not in danger of getting in state lost")
            }
            if let status = row["wal_status"] {
                set.gauge("pg_replication_slot_wal_status", 1, ["slot_name": slot, "slot_type": type, "wal_status": status], help: "availability of WAL files claimed by this slot")
            }
        }
        return set.families
    }
}
