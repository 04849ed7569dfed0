import VigilCore

/// `pg_locks_count` {datname, mode}: every lock mode for every database, 0 when none.
final class Locks: StatCollector {
    let name = "locks"

    static let query = """
        SELECT pg_database.datname AS datname, tmp.mode AS mode, COALESCE(count, 0) AS count
        FROM (VALUES ('accesssharelock'), ('rowsharelock'), ('rowexclusivelock'), ('shareupdateexclusivelock'),
                     ('sharelock'), ('sharerowexclusivelock'), ('exclusivelock'), ('accessexclusivelock'),
                     ('sireadlock')) AS tmp(mode)
        CROSS JOIN pg_database
        LEFT JOIN (SELECT database, lower(mode) AS mode, count(*) AS count
                   FROM pg_locks WHERE database IS NOT NULL
                   GROUP BY database, lower(mode)) AS tmp2
          ON tmp.mode = tmp2.mode AND pg_database.oid = tmp2.database
        ORDER BY 1
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            guard let d = row["datname"], let m = row["mode"] else { continue }
            set.gauge("pg_locks_count", row.value("count"), ["datname": d, "mode": m], help: "Number of locks")
        }
        return set.families
    }
}
