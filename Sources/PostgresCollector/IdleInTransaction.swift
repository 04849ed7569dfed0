import VigilCore

/// Sessions idle inside an open transaction (they hold locks and the xmin horizon):
/// `pg_idle_in_transaction_sessions` and `pg_idle_in_transaction_oldest_seconds` {datname},
/// one series per connectable database (0 when none).
final class IdleInTransaction: StatCollector {
    let name = "idle_in_transaction"

    static let query = """
        SELECT d.datname, count(a.pid) AS sessions,
               COALESCE(max(EXTRACT(EPOCH FROM now() - a.state_change)), 0)::float8 AS oldest_seconds
        FROM pg_database d
        LEFT JOIN pg_stat_activity a
          ON a.datid = d.oid AND a.state IN ('idle in transaction', 'idle in transaction (aborted)')
        WHERE d.datallowconn
        GROUP BY d.datname
        ORDER BY d.datname
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        var set = FamilySet()
        for row in try sql.rows(Self.query) {
            let labels: Labels = ["datname": row.label("datname")]
            set.gauge("pg_idle_in_transaction_sessions", "Sessions idle in an open transaction.", labels, row.value("sessions"))
            set.gauge("pg_idle_in_transaction_oldest_seconds", "How long the longest idle-in-transaction session has been idle, in seconds.", labels, row.value("oldest_seconds"))
        }
        return set.families
    }
}
