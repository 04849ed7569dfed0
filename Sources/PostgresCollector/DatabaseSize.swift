import VigilCore

/// `pg_database_size_bytes` and `pg_database_connection_limit` {datname} (postgres_exporter's
/// "database" collector), minus the excluded databases.
final class DatabaseSize: StatCollector {
    let name = "database"
    private let exclude: Set<String>

    init(options: PostgresCollectorOptions) {
        exclude = Set(options.excludeDatabases)
    }

    static let query = """
        SELECT datname, datconnlimit,
               CASE WHEN has_database_privilege(oid, 'CONNECT') OR pg_has_role('pg_read_all_stats', 'MEMBER')
                    THEN pg_database_size(oid) END AS size
        FROM pg_database
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query), exclude: exclude)
    }

    static func families(_ rows: [Row], exclude: Set<String>) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            guard let datname = row["datname"], !exclude.contains(datname) else { continue }
            set.gauge("pg_database_connection_limit", row.value("datconnlimit"), ["datname": datname], help: "Connection limit set for the database")
        }
        for row in rows {
            guard let datname = row["datname"], !exclude.contains(datname) else { continue }
            set.gauge("pg_database_size_bytes", row.value("size"), ["datname": datname], help: "Disk space used by the database")
        }
        return set.families
    }
}
