import VigilCore

/// `pg_database_size_bytes` and `pg_database_connection_limit` {datname} (postgres_exporter's
/// "database" collector), minus the excluded databases. `pg_database_size` walks every file of
/// a database, so sizes are measured every `sizeInterval` and kept in between; a database the
/// last pass did not see is measured on first sight, a dropped one disappears.
final class DatabaseSize: StatCollector {
    let name = "database"
    private let exclude: Set<String>
    private let interval: Double
    /// Sizes by database oid (nil: not readable by Vigil's role), and when they were measured.
    private var kept: [String: Double?] = [:]
    private var passAt: Double?

    init(options: PostgresCollectorOptions) {
        exclude = Set(options.excludeDatabases)
        interval = max(0, options.sizeInterval)
    }

    /// $1: the oids whose kept sizes this cycle uses (the others are measured).
    static let query = """
        SELECT oid::text AS oid, datname, datconnlimit, NOT (oid = ANY($1::oid[])) AS measured,
               CASE WHEN NOT (oid = ANY($1::oid[]))
                     AND (has_database_privilege(oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'MEMBER'))
                    THEN pg_database_size(oid) END AS size
        FROM pg_database
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        let now = Monotonic.now
        let due = passAt.map { interval == 0 || now - $0 >= interval } ?? true
        let known = due ? [] : kept.keys.sorted()
        let rows = try sql.rows(Self.query, [UserTables.oidArray(known)])
        var next: [String: Double?] = [:]
        var sizes: [String: Double] = [:]
        for row in rows {
            let oid = row.label("oid")
            let size: Double? = row.value("measured") == 1 ? row.double("size") : (kept[oid] ?? nil)
            next[oid] = .some(size)
            sizes[row.label("datname")] = size ?? 0
        }
        kept = next
        if due { passAt = now }
        return Self.families(rows, sizes: sizes, exclude: exclude)
    }

    static func families(_ rows: [Row], sizes: [String: Double], exclude: Set<String>) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            guard let datname = row["datname"], !exclude.contains(datname) else { continue }
            set.gauge("pg_database_connection_limit", row.value("datconnlimit"), ["datname": datname], help: "Connection limit set for the database")
        }
        for row in rows {
            guard let datname = row["datname"], !exclude.contains(datname) else { continue }
            set.gauge("pg_database_size_bytes", sizes[datname] ?? 0, ["datname": datname], help: "Disk space used by the database")
        }
        return set.families
    }
}
