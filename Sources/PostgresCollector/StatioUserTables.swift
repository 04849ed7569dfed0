import VigilCore

/// The pg_statio_user_tables columns, as `pg_statio_user_tables_*` {datname, schemaname, relname}.
enum StatioUserTables {
    static let specs: [ColumnSpec] = [
        ColumnSpec("heap_blks_read", "pg_statio_user_tables_heap_blocks_read", .counter, "Number of disk blocks read from this table"),
        ColumnSpec("heap_blks_hit", "pg_statio_user_tables_heap_blocks_hit", .counter, "Number of buffer hits in this table"),
        ColumnSpec("idx_blks_read", "pg_statio_user_tables_idx_blocks_read", .counter, "Number of disk blocks read from all indexes on this table"),
        ColumnSpec("idx_blks_hit", "pg_statio_user_tables_idx_blocks_hit", .counter, "Number of buffer hits in all indexes on this table"),
        ColumnSpec("toast_blks_read", "pg_statio_user_tables_toast_blocks_read", .counter, "Number of disk blocks read from this table's TOAST table (if any)"),
        ColumnSpec("toast_blks_hit", "pg_statio_user_tables_toast_blocks_hit", .counter, "Number of buffer hits in this table's TOAST table (if any)"),
        ColumnSpec("tidx_blks_read", "pg_statio_user_tables_tidx_blocks_read", .counter, "Number of disk blocks read from this table's TOAST table indexes (if any)"),
        ColumnSpec("tidx_blks_hit", "pg_statio_user_tables_tidx_blocks_hit", .counter, "Number of buffer hits in this table's TOAST table indexes (if any)"),
    ]

    /// pg_statio_user_tables' columns, read from the functions the view reads (`c`: pg_class,
    /// `ix`/`tx`: block statistics summed over the table's and its TOAST table's indexes).
    static let selectList = """
        pg_stat_get_blocks_fetched(c.oid) - pg_stat_get_blocks_hit(c.oid) AS heap_blks_read,
        pg_stat_get_blocks_hit(c.oid) AS heap_blks_hit,
        COALESCE(ix.blks_read, 0) AS idx_blks_read, COALESCE(ix.blks_hit, 0) AS idx_blks_hit,
        COALESCE(pg_stat_get_blocks_fetched(NULLIF(c.reltoastrelid, 0)) - pg_stat_get_blocks_hit(NULLIF(c.reltoastrelid, 0)), 0) AS toast_blks_read,
        COALESCE(pg_stat_get_blocks_hit(NULLIF(c.reltoastrelid, 0)), 0) AS toast_blks_hit,
        COALESCE(tx.blks_read, 0) AS tidx_blks_read, COALESCE(tx.blks_hit, 0) AS tidx_blks_hit
        """
}
