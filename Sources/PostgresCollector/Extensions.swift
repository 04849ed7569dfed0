import VigilCore

/// `pg_extension_info` {datname, extname, extversion} = 1 for every extension installed in
/// every database the options include (pgvector, citext, pg_stat_statements, …).
final class Extensions: StatCollector {
    let name = "extensions"
    static let query = "SELECT current_database() AS datname, extname, extversion FROM pg_extension ORDER BY extname"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        var set = FamilyBuilder()
        let (perDatabase, failures) = try server.connector.each(main: sql) { try $0.rows(Self.query) }
        for row in perDatabase.flatMap({ $0 }) {
            set.gauge("pg_extension_info", 1, ["datname": row.label("datname"), "extname": row.label("extname"), "extversion": row.label("extversion")], help: "Installed extensions, value 1.")
        }
        if !failures.isEmpty { throw PartialFailure(families: set.families, message: failures.joined(separator: "; ")) }
        return set.families
    }
}
