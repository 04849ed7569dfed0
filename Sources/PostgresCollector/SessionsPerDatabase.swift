import VigilCore

/// Sessions of every connectable database that match a condition: how many, and how long the
/// oldest has been in that state (0 and 0 when none). Two health collectors are this shape:
/// - `idle_in_transaction`: `pg_idle_in_transaction_sessions`, `pg_idle_in_transaction_oldest_seconds`
///   (they hold locks and the xmin horizon), aged from `state_change`;
/// - `blocked_sessions`: `pg_blocked_sessions`, `pg_blocked_sessions_oldest_seconds` — waiting on a
///   lock another session holds (`pg_blocking_pids`), aged from `query_start`.
final class SessionsPerDatabase: StatCollector {
    let name: String
    private let query: String
    private let count: (name: String, help: String)
    private let oldest: (name: String, help: String)

    private init(name: String, condition: String, since: String,
                 count: (name: String, help: String), oldest: (name: String, help: String)) {
        self.name = name
        self.count = count
        self.oldest = oldest
        query = """
            SELECT d.datname, count(a.pid) AS sessions,
                   COALESCE(max(EXTRACT(EPOCH FROM now() - a.\(since))), 0)::float8 AS oldest_seconds
            FROM pg_database d
            LEFT JOIN pg_stat_activity a ON a.datid = d.oid AND \(condition)
            WHERE d.datallowconn
            GROUP BY d.datname
            ORDER BY d.datname
            """
    }

    static func idleInTransaction() -> SessionsPerDatabase {
        SessionsPerDatabase(
            name: "idle_in_transaction",
            condition: "a.state IN ('idle in transaction', 'idle in transaction (aborted)')", since: "state_change",
            count: ("pg_idle_in_transaction_sessions", "Sessions idle in an open transaction."),
            oldest: ("pg_idle_in_transaction_oldest_seconds", "How long the longest idle-in-transaction session has been idle, in seconds."))
    }

    static func blocked() -> SessionsPerDatabase {
        SessionsPerDatabase(
            name: "blocked_sessions",
            condition: "a.wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(a.pid)) > 0", since: "query_start",
            count: ("pg_blocked_sessions", "Sessions waiting for a lock held by another session."),
            oldest: ("pg_blocked_sessions_oldest_seconds", "How long the longest-blocked session has been in its statement, in seconds."))
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        families(try sql.rows(query))
    }

    /// The families of the statement's rows. Pure.
    func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            let labels: Labels = ["datname": row.label("datname")]
            set.gauge(count.name, row.value("sessions"), labels, help: count.help)
            set.gauge(oldest.name, row.value("oldest_seconds"), labels, help: oldest.help)
        }
        return set.families
    }
}
