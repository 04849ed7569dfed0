import VigilCore

/// `pg_stat_replication_pg_current_wal_lsn_bytes` and `pg_stat_replication_pg_wal_lsn_diff`
/// {application_name, client_addr, state, slot_name}: one series per WAL sender (on a replica
/// the values are NaN, as postgres_exporter reports NULL), and `pg_stat_replication_reply_time`.
final class StatReplication: StatCollector {
    let name = "stat_replication"

    static let query = """
        SELECT r.application_name, host(r.client_addr) AS client_addr, r.state, s.slot_name,
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE (pg_current_wal_lsn() - '0/0')::float8 END AS pg_current_wal_lsn_bytes,
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::float8 END AS pg_wal_lsn_diff,
               extract(epoch FROM r.reply_time)::float8 AS reply_time,
               COALESCE(extract(epoch FROM r.write_lag), 0)::float8 AS write_lag,
               COALESCE(extract(epoch FROM r.flush_lag), 0)::float8 AS flush_lag,
               COALESCE(extract(epoch FROM r.replay_lag), 0)::float8 AS replay_lag
        FROM pg_stat_replication r
        LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            let labels: Labels = ["application_name": row.label("application_name"), "client_addr": row.label("client_addr"),
                                  "state": row.label("state"), "slot_name": row.label("slot_name")]
            set.gauge("pg_stat_replication_pg_current_wal_lsn_bytes", row.double("pg_current_wal_lsn_bytes") ?? .nan, labels, help: "WAL position in bytes")
            set.gauge("pg_stat_replication_pg_wal_lsn_diff", row.double("pg_wal_lsn_diff") ?? .nan, labels, help: "Lag in bytes between master and slave")
            // postgres_exporter exports this column of its `SELECT *` untyped, as Unix seconds.
            set.add("pg_stat_replication_reply_time", .untyped, row.double("reply_time") ?? .nan, labels, help: "Unknown metric from pg_stat_replication")
            // Vigil's additions: the standby's lag as the primary measures it (0 when idle and caught up).
            set.gauge("pg_stat_replication_write_lag_seconds", row.value("write_lag"), labels, help: "Time between flushing WAL locally and the standby reporting it written, in seconds.")
            set.gauge("pg_stat_replication_flush_lag_seconds", row.value("flush_lag"), labels, help: "Time between flushing WAL locally and the standby reporting it flushed, in seconds.")
            set.gauge("pg_stat_replication_replay_lag_seconds", row.value("replay_lag"), labels, help: "Time between flushing WAL locally and the standby reporting it replayed, in seconds.")
        }
        return set.families
    }
}
