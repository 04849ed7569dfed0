import VigilCore

/// `pg_blocked_sessions` {datname}: sessions waiting on a lock another session holds
/// (`pg_blocking_pids`), and `pg_blocked_sessions_oldest_seconds` {datname}: how long the
/// longest of them has been waiting in its statement.
final class BlockedSessions: StatCollector {
    let name = "blocked_sessions"

    static let query = """
        SELECT d.datname, count(a.pid) AS blocked,
               COALESCE(max(EXTRACT(EPOCH FROM now() - a.query_start)), 0)::float8 AS oldest_seconds
        FROM pg_database d
        LEFT JOIN pg_stat_activity a
          ON a.datid = d.oid AND a.wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(a.pid)) > 0
        WHERE d.datallowconn
        GROUP BY d.datname
        ORDER BY d.datname
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        var set = FamilySet()
        for row in try sql.rows(Self.query) {
            let labels: Labels = ["datname": row.label("datname")]
            set.gauge("pg_blocked_sessions", "Sessions waiting for a lock held by another session.", labels, row.value("blocked"))
            set.gauge("pg_blocked_sessions_oldest_seconds", "How long the longest-blocked session has been in its statement, in seconds.", labels, row.value("oldest_seconds"))
        }
        return set.families
    }
}
