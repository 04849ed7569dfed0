import VigilCore

/// `pg_stat_progress_vacuum_*` {datname, relname}: running VACUUMs (no series when none runs).
final class StatProgressVacuum: StatCollector {
    let name = "stat_progress_vacuum"

    static let phases = ["initializing", "scanning heap", "vacuuming indexes", "vacuuming heap",
                         "cleaning up indexes", "truncating heap", "performing final cleanup"]

    static let query = """
        SELECT d.datname, s.relid::regclass::text AS relname, s.param1 AS phase, s.param2 AS heap_blks_total,
               s.param3 AS heap_blks_scanned, s.param4 AS heap_blks_vacuumed, s.param5 AS index_vacuum_count,
               s.param6 AS max_dead_tuples, s.param7 AS num_dead_tuples
        FROM pg_stat_get_progress_info('VACUUM'::text)
             s(pid, datid, relid, param1, param2, param3, param4, param5, param6, param7, param8, param9, param10,
               param11, param12, param13, param14, param15, param16, param17, param18, param19, param20)
        LEFT JOIN pg_database d ON s.datid = d.oid
        """

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        Self.families(try sql.rows(Self.query))
    }

    static func families(_ rows: [Row]) -> [MetricFamily] {
        var set = FamilyBuilder()
        for row in rows {
            let labels: Labels = ["datname": row["datname"] ?? "unknown", "relname": row["relname"] ?? "unknown"]
            let phase = row.double("phase")
            for (i, p) in phases.enumerated() {
                set.gauge("pg_stat_progress_vacuum_phase", phase == Double(i) ? 1 : 0, labels.appending("phase", p), help: "Current vacuum phase (1 = active, 0 = inactive). Label 'phase' is human-readable.")
            }
            set.gauge("pg_stat_progress_vacuum_heap_blks", row.value("heap_blks_total"), labels, help: "Total number of heap blocks in the table being vacuumed.")
            set.gauge("pg_stat_progress_vacuum_heap_blks_scanned", row.value("heap_blks_scanned"), labels, help: "Number of heap blocks scanned so far.")
            set.gauge("pg_stat_progress_vacuum_heap_blks_vacuumed", row.value("heap_blks_vacuumed"), labels, help: "Number of heap blocks vacuumed so far.")
            set.gauge("pg_stat_progress_vacuum_index_vacuums", row.value("index_vacuum_count"), labels, help: "Number of completed index vacuum cycles.")
            set.gauge("pg_stat_progress_vacuum_max_dead_tuples", row.value("max_dead_tuples"), labels, help: "Maximum number of dead tuples that can be stored before cleanup is performed.")
            set.gauge("pg_stat_progress_vacuum_num_dead_tuples", row.value("num_dead_tuples"), labels, help: "Current number of dead tuples found so far.")
        }
        return set.families
    }
}
