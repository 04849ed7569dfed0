import VigilCore

/// `pg_postmaster_start_time_seconds`: when the server started.
final class Postmaster: StatCollector {
    let name = "postmaster"
    static let query = "SELECT extract(epoch FROM pg_postmaster_start_time())::float8 AS start_time_seconds"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            set.gauge("pg_postmaster_start_time_seconds", row.value("start_time_seconds"), Labels(), help: "Time at which postmaster started")
        }
        return set.families
    }
}
