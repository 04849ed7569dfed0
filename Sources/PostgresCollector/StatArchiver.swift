import VigilCore

/// `pg_stat_archiver_{archived_count, failed_count, last_archive_age}`. With nothing archived
/// yet the age is NaN, as postgres_exporter reports it.
final class StatArchiver: StatCollector {
    let name = "stat_archiver"
    static let query = "SELECT archived_count, failed_count, extract(epoch FROM now() - last_archived_time)::float8 AS last_archive_age FROM pg_stat_archiver"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    /// The families of the statement's rows. Pure.
    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            if let n = row.count("archived_count") {
                set.counter("pg_stat_archiver_archived_count", n, Labels(), help: "Number of WAL files that have been successfully archived")
            }
            if let n = row.count("failed_count") {
                set.counter("pg_stat_archiver_failed_count", n, Labels(), help: "Number of failed attempts for archiving WAL files")
            }
            set.gauge("pg_stat_archiver_last_archive_age", row.double("last_archive_age") ?? .nan, Labels(), help: "Time in seconds since last WAL segment was successfully archived")
        }
        return set.families
    }
}
