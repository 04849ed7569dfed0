import VigilCore

/// Statement statistics from pg_stat_statements: `pg_stat_statements_{calls_total,
/// seconds_total, rows_total, block_read_seconds_total, block_write_seconds_total}`
/// {user, datname, queryid} for the top N statements by total time, a remainder series per
/// database (`user="other", queryid="other"`) for the other statements (see
/// `StatementLatency`), and the `pg_stat_statements_latency_seconds` histogram {datname}.
final class StatStatements: StatCollector {
    let name = "stat_statements"
    private var latency: StatementLatency
    /// Whether the extension was found: checked until it is, and again after the view fails.
    private var extensionFound = false

    init(options: PostgresCollectorOptions) {
        latency = StatementLatency(bounds: options.statementLatencyBuckets, topN: options.statementsTopN)
    }

    /// Column names moved over the versions: total_time → total_exec_time (13),
    /// blk_read_time → shared_blk_read_time + local_blk_read_time (17).
    static func query(_ v: ServerVersion) -> String {
        let time = v.atLeast(13) ? "s.total_exec_time" : "s.total_time"
        let read = v.atLeast(17) ? "s.shared_blk_read_time + s.local_blk_read_time" : "s.blk_read_time"
        let write = v.atLeast(17) ? "s.shared_blk_write_time + s.local_blk_write_time" : "s.blk_write_time"
        return """
            SELECT pg_get_userbyid(s.userid) AS "user", d.datname, s.queryid::text AS queryid,
                   sum(s.calls)::float8 AS calls, (sum(\(time)) / 1000.0)::float8 AS seconds, sum(s.rows)::float8 AS rows,
                   (sum(\(read)) / 1000.0)::float8 AS read_seconds, (sum(\(write)) / 1000.0)::float8 AS write_seconds
            FROM pg_stat_statements(false) s JOIN pg_database d ON d.oid = s.dbid
            WHERE s.queryid IS NOT NULL
            GROUP BY s.userid, d.datname, s.queryid
            """
    }

    static let extensionQuery = "SELECT extversion FROM pg_extension WHERE extname = 'pg_stat_statements'"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        if !extensionFound {
            guard try !sql.rows(Self.extensionQuery).isEmpty else {
                throw CollectorUnavailable(reason: "the pg_stat_statements extension is not installed in database \(sql.database) (CREATE EXTENSION pg_stat_statements; it must also be in shared_preload_libraries)")
            }
            extensionFound = true
        }
        let rows: [Row]
        do {
            rows = try sql.rows(Self.query(server.version))
        } catch let e as PostgresError where e.sqlState == "55000" {
            extensionFound = false
            throw CollectorUnavailable(reason: "pg_stat_statements is not loaded: \(e.message)")
        } catch let e as PostgresError where e.sqlState == "42883" || e.sqlState == "42P01" {
            // Dropped since it was found (undefined function): look for it again next cycle.
            extensionFound = false
            throw CollectorUnavailable(reason: "the pg_stat_statements extension is not installed in database \(sql.database): \(e.message)")
        }
        return Self.families(latency: &latency, snapshot: Self.snapshot(rows))
    }

    /// Each statement's totals from the statement's rows. Pure.
    static func snapshot(_ rows: [Row]) -> [StatementLatency.Key: StatementLatency.Totals] {
        var snapshot: [StatementLatency.Key: StatementLatency.Totals] = [:]
        for row in rows {
            // Totals are counts: a statement with one below zero or unreadable is left out.
            guard let calls = row.count("calls"), let seconds = row.count("seconds"), let n = row.count("rows"),
                  let read = row.count("read_seconds"), let write = row.count("write_seconds") else { continue }
            let key = StatementLatency.Key(user: row.label("user"), datname: row.label("datname"), queryid: row.label("queryid"))
            snapshot[key] = StatementLatency.Totals(calls: calls, seconds: seconds, rows: n, readSeconds: read, writeSeconds: write)
        }
        return snapshot
    }

    /// Maps one snapshot to families, advancing the latency state. Pure.
    static func families(latency: inout StatementLatency, snapshot: [StatementLatency.Key: StatementLatency.Totals]) -> [MetricFamily] {
        let top = latency.observe(snapshot)
        var set = FamilyBuilder()
        func add(_ labels: Labels, _ t: StatementLatency.Totals) {
            set.counter("pg_stat_statements_calls_total", t.calls, labels, help: "Number of times executed")
            set.counter("pg_stat_statements_seconds_total", t.seconds, labels, help: "Total time spent in the statement, in seconds")
            set.counter("pg_stat_statements_rows_total", t.rows, labels, help: "Total number of rows retrieved or affected by the statement")
            set.counter("pg_stat_statements_block_read_seconds_total", t.readSeconds, labels, help: "Total time the statement spent reading blocks, in seconds")
            set.counter("pg_stat_statements_block_write_seconds_total", t.writeSeconds, labels, help: "Total time the statement spent writing blocks, in seconds")
        }
        for key in top {
            guard let t = snapshot[key] else { continue }
            add(["user": key.user, "datname": key.datname, "queryid": key.queryid], t)
        }
        for db in latency.remainder.keys.sorted() {
            guard let t = latency.remainder[db] else { continue }
            add(["user": "other", "datname": db, "queryid": "other"], t)
        }
        set.append(latency.histogramFamily())
        return set.families
    }
}
