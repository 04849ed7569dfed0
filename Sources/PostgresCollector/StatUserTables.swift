import VigilCore

/// The pg_stat_user_tables columns postgres_exporter exports, as `pg_stat_user_tables_*`
/// {datname, schemaname, relname}. Timestamps are Unix seconds (0 = never).
enum StatUserTables {
    static let specs: [ColumnSpec] = [
        ColumnSpec("seq_scan", "pg_stat_user_tables_seq_scan", .counter, "Number of sequential scans initiated on this table"),
        ColumnSpec("seq_tup_read", "pg_stat_user_tables_seq_tup_read", .counter, "Number of live rows fetched by sequential scans"),
        ColumnSpec("idx_scan", "pg_stat_user_tables_idx_scan", .counter, "Number of index scans initiated on this table"),
        ColumnSpec("idx_tup_fetch", "pg_stat_user_tables_idx_tup_fetch", .counter, "Number of live rows fetched by index scans"),
        ColumnSpec("n_tup_ins", "pg_stat_user_tables_n_tup_ins", .counter, "Number of rows inserted"),
        ColumnSpec("n_tup_upd", "pg_stat_user_tables_n_tup_upd", .counter, "Number of rows updated"),
        ColumnSpec("n_tup_del", "pg_stat_user_tables_n_tup_del", .counter, "Number of rows deleted"),
        ColumnSpec("n_tup_hot_upd", "pg_stat_user_tables_n_tup_hot_upd", .counter, "Number of rows HOT updated (i.e., with no separate index update required)"),
        ColumnSpec("n_live_tup", "pg_stat_user_tables_n_live_tup", .gauge, "Estimated number of live rows"),
        ColumnSpec("n_dead_tup", "pg_stat_user_tables_n_dead_tup", .gauge, "Estimated number of dead rows"),
        ColumnSpec("n_mod_since_analyze", "pg_stat_user_tables_n_mod_since_analyze", .gauge, "Estimated number of rows changed since last analyze"),
        ColumnSpec("last_vacuum", "pg_stat_user_tables_last_vacuum", .gauge, "Last time at which this table was manually vacuumed (not counting VACUUM FULL)"),
        ColumnSpec("last_autovacuum", "pg_stat_user_tables_last_autovacuum", .gauge, "Last time at which this table was vacuumed by the autovacuum daemon"),
        ColumnSpec("last_analyze", "pg_stat_user_tables_last_analyze", .gauge, "Last time at which this table was manually analyzed"),
        ColumnSpec("last_autoanalyze", "pg_stat_user_tables_last_autoanalyze", .gauge, "Last time at which this table was analyzed by the autovacuum daemon"),
        ColumnSpec("vacuum_count", "pg_stat_user_tables_vacuum_count", .counter, "Number of times this table has been manually vacuumed (not counting VACUUM FULL)"),
        ColumnSpec("autovacuum_count", "pg_stat_user_tables_autovacuum_count", .counter, "Number of times this table has been vacuumed by the autovacuum daemon"),
        ColumnSpec("analyze_count", "pg_stat_user_tables_analyze_count", .counter, "Number of times this table has been manually analyzed"),
        ColumnSpec("autoanalyze_count", "pg_stat_user_tables_autoanalyze_count", .counter, "Number of times this table has been analyzed by the autovacuum daemon"),
        ColumnSpec("indexes_size", "pg_stat_user_tables_index_size_bytes", .gauge, "Total disk space used by this index, in bytes"),
        ColumnSpec("table_size", "pg_stat_user_tables_table_size_bytes", .gauge, "Total disk space used by this table, in bytes"),
    ]

    /// Columns whose remainder is the latest value rather than the sum.
    static let timestampColumns: Set<String> = ["last_vacuum", "last_autovacuum", "last_analyze", "last_autoanalyze"]

    /// pg_stat_user_tables' columns, read from the functions the view reads (`c`: pg_class,
    /// `ix`: index statistics summed per table; see `UserTables.query`), PostgreSQL 12–17.
    /// Timestamps through `date_part` (float8) rather than `extract` (numeric, then a cast).
    static let selectList = """
        pg_stat_get_numscans(c.oid) AS seq_scan, pg_stat_get_tuples_returned(c.oid) AS seq_tup_read,
        COALESCE(ix.scans, 0) AS idx_scan, COALESCE(ix.fetched + pg_stat_get_tuples_fetched(c.oid), 0) AS idx_tup_fetch,
        pg_stat_get_tuples_inserted(c.oid) AS n_tup_ins, pg_stat_get_tuples_updated(c.oid) AS n_tup_upd,
        pg_stat_get_tuples_deleted(c.oid) AS n_tup_del, pg_stat_get_tuples_hot_updated(c.oid) AS n_tup_hot_upd,
        pg_stat_get_live_tuples(c.oid) AS n_live_tup, pg_stat_get_dead_tuples(c.oid) AS n_dead_tup,
        pg_stat_get_mod_since_analyze(c.oid) AS n_mod_since_analyze,
        COALESCE(date_part('epoch', pg_stat_get_last_vacuum_time(c.oid)), 0) AS last_vacuum,
        COALESCE(date_part('epoch', pg_stat_get_last_autovacuum_time(c.oid)), 0) AS last_autovacuum,
        COALESCE(date_part('epoch', pg_stat_get_last_analyze_time(c.oid)), 0) AS last_analyze,
        COALESCE(date_part('epoch', pg_stat_get_last_autoanalyze_time(c.oid)), 0) AS last_autoanalyze,
        pg_stat_get_vacuum_count(c.oid) AS vacuum_count, pg_stat_get_autovacuum_count(c.oid) AS autovacuum_count,
        pg_stat_get_analyze_count(c.oid) AS analyze_count, pg_stat_get_autoanalyze_count(c.oid) AS autoanalyze_count
        """

    /// Exact sizes of the tables listed in $1 (oids: the ones `TableSizes.toMeasure` names),
    /// a statement of its own, sent only when some table needs measuring (a size pass, a new
    /// or rewritten table), so the statement run every collection reads no lock table and
    /// takes no array. A table under (or queued for) an ACCESS EXCLUSIVE lock, whose exact
    /// size cannot be read without waiting, is estimated from `relpages` instead (migrations,
    /// VACUUM FULL), and `exact` says which. Its relfilenode is read with the sizes, so a
    /// table rewritten since the statistics statement is kept under its new file.
    static let sizeQuery = """
        SELECT c.oid::text AS relid, c.relfilenode::text AS relfilenode, (x.relation IS NULL) AS exact,
        CASE WHEN x.relation IS NOT NULL THEN
               (SELECT COALESCE(sum(ic.relpages), 0) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid)
               * current_setting('block_size')::bigint
             ELSE pg_indexes_size(c.oid) END AS indexes_size,
        CASE WHEN x.relation IS NOT NULL THEN
               (c.relpages::bigint + COALESCE((SELECT t.relpages FROM pg_class t WHERE t.oid = c.reltoastrelid), 0))
               * current_setting('block_size')::bigint
             ELSE pg_table_size(c.oid) END AS table_size
        FROM pg_class c
        LEFT JOIN (SELECT DISTINCT relation FROM pg_locks
                   WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
                     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) x ON x.relation = c.oid
        WHERE c.oid = ANY($1::oid[])
        """
}
