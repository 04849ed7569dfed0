import VigilCore

/// `pg_wal_segments` and `pg_wal_size_bytes`: the WAL segment files in pg_wal.
final class Wal: StatCollector {
    let name = "wal"
    static let query = "SELECT count(*) AS segments, COALESCE(sum(size), 0) AS size FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            set.gauge("pg_wal_segments", row.value("segments"), Labels(), help: "Number of WAL segments")
            set.gauge("pg_wal_size_bytes", row.value("size"), Labels(), help: "Total size of WAL segments")
        }
        return set.families
    }
}
