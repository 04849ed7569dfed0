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
        var set = FamilySet()
        for row in rows {
            let labels: Labels = ["datname": row["datname"] ?? "unknown", "relname": row["relname"] ?? "unknown"]
            let phase = row.double("phase")
            for (i, p) in phases.enumerated() {
                set.gauge("pg_stat_progress_vacuum_phase", "Current vacuum phase (1 = active, 0 = inactive). Label 'phase' is human-readable.",
                          labels.appending("phase", p), phase == Double(i) ? 1 : 0)
            }
            set.gauge("pg_stat_progress_vacuum_heap_blks", "Total number of heap blocks in the table being vacuumed.", labels, row.value("heap_blks_total"))
            set.gauge("pg_stat_progress_vacuum_heap_blks_scanned", "Number of heap blocks scanned so far.", labels, row.value("heap_blks_scanned"))
            set.gauge("pg_stat_progress_vacuum_heap_blks_vacuumed", "Number of heap blocks vacuumed so far.", labels, row.value("heap_blks_vacuumed"))
            set.gauge("pg_stat_progress_vacuum_index_vacuums", "Number of completed index vacuum cycles.", labels, row.value("index_vacuum_count"))
            set.gauge("pg_stat_progress_vacuum_max_dead_tuples", "Maximum number of dead tuples that can be stored before cleanup is performed.", labels, row.value("max_dead_tuples"))
            set.gauge("pg_stat_progress_vacuum_num_dead_tuples", "Current number of dead tuples found so far.", labels, row.value("num_dead_tuples"))
        }
        return set.families
    }
}
