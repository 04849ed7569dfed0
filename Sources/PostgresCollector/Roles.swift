import VigilCore

/// `pg_roles_connection_limit` {rolname}.
final class Roles: StatCollector {
    let name = "roles"
    static let query = "SELECT rolname, rolconnlimit FROM pg_roles"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            guard let r = row["rolname"], let limit = row.double("rolconnlimit") else { continue }
            set.gauge("pg_roles_connection_limit", limit, ["rolname": r], help: "Connection limit set for the role")
        }
        return set.families
    }
}
