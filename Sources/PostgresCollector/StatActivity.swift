import VigilCore

/// `pg_stat_activity_count` and `pg_stat_activity_max_tx_duration` {datname, state, usename,
/// application_name, backend_type, wait_event_type, wait_event}; Vigil's own sessions are left out.
final class StatActivity: StatCollector {
    let name = "stat_activity"

    static let query = """
        SELECT pg_database.datname, tmp.state, tmp2.usename, tmp2.application_name, tmp2.backend_type,
               tmp2.wait_event_type, tmp2.wait_event,
               COALESCE(count, 0) AS count, COALESCE(max_tx_duration, 0) AS max_tx_duration
        FROM (VALUES ('active'), ('idle'), ('idle in transaction'), ('idle in transaction (aborted)'),
                     ('fastpath function call'), ('disabled')) AS tmp(state)
        CROSS JOIN pg_database
        LEFT JOIN (SELECT datname, state, usename, application_name, backend_type, wait_event_type, wait_event,
                          count(*) AS count,
                          MAX(EXTRACT(EPOCH FROM now() - xact_start))::float AS max_tx_duration
                   FROM pg_stat_activity
                   WHERE pid <> pg_backend_pid() AND NOT (pid = ANY($1::int[]))
                   GROUP BY datname, state, usename, application_name, backend_type, wait_event_type, wait_event) AS tmp2
          ON tmp.state = tmp2.state AND pg_database.datname = tmp2.datname
        """

    /// `{1,2,3}`: a PostgreSQL array literal of process ids.
    static func pidArray(_ pids: [Int32]) -> String {
        "{" + pids.map(String.init).joined(separator: ",") + "}"
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query, [Self.pidArray(server.connector.ownBackendPIDs)]))
    }

    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        var seen = Set<Labels>()
        for row in rows {
            let labels: Labels = [
                "datname": row.label("datname"), "state": row.label("state"), "usename": row.label("usename"),
                "application_name": row.label("application_name"), "backend_type": row.label("backend_type"),
                "wait_event_type": row.label("wait_event_type"), "wait_event": row.label("wait_event"),
            ]
            // NULL and "" label values coincide; keep the first series of each label set.
            guard seen.insert(labels).inserted else { continue }
            set.gauge("pg_stat_activity_count", row.value("count"), labels, help: "number of connections in this state")
            set.gauge("pg_stat_activity_max_tx_duration", row.value("max_tx_duration"), labels, help: "max duration in seconds any active transaction has been running")
        }
        return set.families
    }
}
