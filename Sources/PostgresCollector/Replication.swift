import VigilCore

/// `pg_replication_lag_seconds`, `pg_replication_is_replica`, `pg_replication_last_replay_seconds`.
final class Replication: StatCollector {
    let name = "replication"

    static let query = """
        SELECT
          CASE WHEN NOT pg_is_in_recovery() THEN 0
               WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
               ELSE GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())))
          END::float8 AS lag,
          CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS is_replica,
          GREATEST(0, EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp())))::float8 AS last_replay
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            set.gauge("pg_replication_lag_seconds", row.value("lag"), Labels(), help: "Replication lag behind master in seconds")
            set.gauge("pg_replication_is_replica", row.value("is_replica"), Labels(), help: "Indicates if the server is a replica")
            set.gauge("pg_replication_last_replay_seconds", row.value("last_replay"), Labels(), help: "Age of last replay in seconds")
        }
        return set.families
    }
}
