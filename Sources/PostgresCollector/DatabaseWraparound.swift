import VigilCore

/// Transaction-ID wraparound: `pg_database_wraparound_age_datfrozenxid_seconds` and
/// `pg_database_wraparound_age_datminmxid_seconds` {datname} (postgres_exporter's
/// database_wraparound names; the values are ages in transactions, not seconds).
final class DatabaseWraparound: StatCollector {
    let name = "database_wraparound"
    static let query = "SELECT datname, age(datfrozenxid)::float8 AS age_datfrozenxid, mxid_age(datminmxid)::float8 AS age_datminmxid FROM pg_database WHERE datallowconn"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            let labels: Labels = ["datname": row.label("datname")]
            set.gauge("pg_database_wraparound_age_datfrozenxid_seconds", row.value("age_datfrozenxid"), labels, help: "Age of the oldest transaction ID that has not been frozen.")
            set.gauge("pg_database_wraparound_age_datminmxid_seconds", row.value("age_datminmxid"), labels, help: "Age of the oldest multi-transaction ID that has been replaced with a transaction ID.")
        }
        return set.families
    }
}
