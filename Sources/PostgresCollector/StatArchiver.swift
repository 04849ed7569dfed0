import VigilCore

/// `pg_stat_archiver_{archived_count, failed_count, last_archive_age}`. With nothing archived
/// yet the age is NaN, as postgres_exporter reports it.
final class StatArchiver: StatCollector {
    let name = "stat_archiver"
    static let query = "SELECT archived_count, failed_count, extract(epoch FROM now() - last_archived_time)::float8 AS last_archive_age FROM pg_stat_archiver"

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in try sql.rows(Self.query) {
            set.counter("pg_stat_archiver_archived_count", row.value("archived_count"), Labels(), help: "Number of WAL files that have been successfully archived")
            set.counter("pg_stat_archiver_failed_count", row.value("failed_count"), Labels(), help: "Number of failed attempts for archiving WAL files")
            set.gauge("pg_stat_archiver_last_archive_age", row.double("last_archive_age") ?? .nan, Labels(), help: "Time in seconds since last WAL segment was successfully archived")
        }
        return set.families
    }
}
