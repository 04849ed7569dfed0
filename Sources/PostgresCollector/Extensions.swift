import VigilCore

/// `pg_extension_info` {datname, extname, extversion} = 1 for every extension installed in
/// every database the options include (pgvector, citext, pg_stat_statements, …).
final class Extensions: StatCollector {
    let name = "extensions"
    static let query = "SELECT current_database() AS datname, extname, extversion FROM pg_extension ORDER BY extname"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        let (perDatabase, failures) = try server.connector.each(main: sql) { try $0.rows(Self.query) }
        let families = Self.families(perDatabase.flatMap { $0 })
        if !failures.isEmpty { throw PartialFailure(families: families, message: failures.joined(separator: "; ")) }
        return families
    }

    /// The families of every database's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            set.gauge("pg_extension_info", 1, ["datname": row.label("datname"), "extname": row.label("extname"), "extversion": row.label("extversion")], help: "Installed extensions, value 1.")
        }
        return set.families
    }
}
