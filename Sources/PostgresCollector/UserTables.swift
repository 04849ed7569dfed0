import VigilCore

/// Per-table statistics (`pg_stat_user_tables_*`, `pg_statio_user_tables_*`) for every
/// database the options include, one statement per database. At most `tableSeriesCap` tables
/// get their own series, largest first across all databases; the rest of each database is
/// summed into one series labelled `schemaname="other", relname="other"`. Table and index
/// sizes are exact, measured every `sizeInterval` and kept in between (`TableSizes`), by a
/// second statement sent only for the tables that need it (none in most collections).
final class UserTables: StatCollector {
    let name = "stat_user_tables"
    private let cap: Int
    private var sizes: TableSizes

    init(options: PostgresCollectorOptions) {
        cap = max(0, options.tableSeriesCap)
        sizes = TableSizes(interval: options.sizeInterval)
    }

    let switches = ["stat_user_tables", "statio_user_tables"]

    /// One statement a database: what `pg_stat_user_tables` and `pg_statio_user_tables` show
    /// (ordinary tables and materialized views outside pg_catalog, information_schema and the
    /// TOAST schemas), read from the statistics functions those views call, with each table's
    /// indexes summed once (the two views joined cost twice as much: each scans pg_class and
    /// pg_index again). Index sums are float8 (exact below 2^53, and Vigil's values are
    /// float64 anyway): `sum(bigint)` accumulates in numeric and is cast back, a third of the
    /// aggregate's cost. Indexes of catalogs (`indrelid` below 16384, FirstNormalObjectId:
    /// no user table or TOAST table of one has such an oid) are left out of the sums, which
    /// no row would join. Sizes are not read here: `sizeQuery` runs when some are needed.
    static let query = """
        WITH ix AS (
          SELECT i.indrelid,
                 sum(pg_stat_get_numscans(i.indexrelid)::float8) AS scans,
                 sum(pg_stat_get_tuples_fetched(i.indexrelid)::float8) AS fetched,
                 sum((pg_stat_get_blocks_fetched(i.indexrelid) - pg_stat_get_blocks_hit(i.indexrelid))::float8) AS blks_read,
                 sum(pg_stat_get_blocks_hit(i.indexrelid)::float8) AS blks_hit
          FROM pg_index i WHERE i.indrelid >= 16384 GROUP BY i.indrelid)
        SELECT current_database() AS datname, c.oid::text AS relid, c.relfilenode::text AS relfilenode,
        n.nspname AS schemaname, c.relname,
        \(StatUserTables.selectList),
        \(StatioUserTables.selectList)
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN ix ON ix.indrelid = c.oid
        LEFT JOIN ix tx ON tx.indrelid = c.reltoastrelid
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
        """

    /// A PostgreSQL array literal of oids (digits only, so nothing to quote).
    static func oidArray(_ oids: [String]) -> String { "{\(oids.joined(separator: ","))}" }

    /// One table's numbers.
    struct Table {
        var datname: String
        var schemaname: String
        var relname: String
        var values: [String: Double]
        /// Columns whose value was refused (a counter below zero, a sum past the largest Double): not exported.
        var omitted: Set<String> = []
        var size: Double { values["table_size"] ?? 0 }
    }

    /// The statistics columns a row carries (the sizes come from `TableSizes`).
    static let rowColumns = (StatUserTables.specs + StatioUserTables.specs).map(\.column).filter { $0 != "table_size" && $0 != "indexes_size" }

    /// The columns that are counters.
    static let counterColumns = Set((StatUserTables.specs + StatioUserTables.specs).filter { $0.type == .counter }.map(\.column))

    /// One table from its statistics row and its sizes (NULL reads as 0; a counter below zero
    /// is left out). Pure.
    static func table(_ row: Row, size: (table: Double, indexes: Double), columns: [String] = rowColumns) -> Table {
        var values: [String: Double] = ["table_size": size.table, "indexes_size": size.indexes]
        var omitted: Set<String> = []
        for c in columns {
            let v = row.double(c) ?? 0
            if v < 0, counterColumns.contains(c) { omitted.insert(c) } else { values[c] = v }
        }
        return Table(datname: row.label("datname"), schemaname: row.label("schemaname"),
                     relname: row.label("relname"), values: values, omitted: omitted)
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        let columns = Self.rowColumns
        let now = Monotonic.now
        let (perDatabase, failures) = try server.connector.each(main: sql) { runner -> [Table] in
            let db = runner.database
            let rows = try runner.rows(Self.query)
            let fullPass = sizes.isDue(db, at: now)
            let wanted = sizes.toMeasure(db, rows.map { ($0.label("relid"), $0.label("relfilenode")) }, at: now)
            var measured: [String: TableSizes.Measured] = [:]
            if !wanted.isEmpty {
                for r in try runner.rows(StatUserTables.sizeQuery, [Self.oidArray(wanted)]) {
                    let relid = r.label("relid")
                    measured[relid] = TableSizes.Measured(relid: relid, relfilenode: r.label("relfilenode"), table: r.double("table_size"),
                                                          indexes: r.double("indexes_size"), exact: r.value("exact") == 1)
                }
            }
            let list = rows.map { row in
                measured[row.label("relid")]
                    ?? TableSizes.Measured(relid: row.label("relid"), relfilenode: row.label("relfilenode"), table: nil, indexes: nil, exact: false)
            }
            let merged = sizes.merge(db, list, fullPass: fullPass, at: now)
            return zip(rows, merged).map { row, size in Self.table(row, size: size, columns: columns) }
        }
        if let visited = try? server.connector.databases() { sizes.keep(only: Set(visited.map(\.name))) }
        let tables = perDatabase.flatMap { $0 }
        let families = Self.families(tables, cap: cap, stat: server.options.isEnabled("stat_user_tables"),
                                     statio: server.options.isEnabled("statio_user_tables"))
        if !failures.isEmpty {
            throw PartialFailure(families: families, message: failures.joined(separator: "; "))
        }
        return families
    }

    /// Applies the cap and maps tables to families. Pure.
    static func families(_ tables: [Table], cap: Int, stat: Bool = true, statio: Bool = true) -> [MetricFamily] {
        let sorted = tables.sorted {
            if $0.size != $1.size { return $0.size > $1.size }
            return ($0.datname, $0.schemaname, $0.relname) < ($1.datname, $1.schemaname, $1.relname)
        }
        var kept = Array(sorted.prefix(cap))
        var remainders: [String: Table] = [:]
        var remainderOrder: [String] = []
        for t in sorted.dropFirst(cap) {
            if var r = remainders[t.datname] {
                for (k, v) in t.values {
                    let merged = StatUserTables.timestampColumns.contains(k) ? max(r.values[k] ?? 0, v) : (r.values[k] ?? 0) + v
                    // A sum past the largest Double is no number: left out.
                    if merged.isFinite { r.values[k] = merged } else { r.omitted.insert(k) }
                }
                remainders[t.datname] = r
            } else {
                remainderOrder.append(t.datname)
                remainders[t.datname] = Table(datname: t.datname, schemaname: "other", relname: "other", values: t.values)
            }
        }
        kept += remainderOrder.sorted().compactMap { remainders[$0] }

        var specs: [ColumnSpec] = []
        if stat { specs += StatUserTables.specs }
        if statio { specs += StatioUserTables.specs }
        var set = FamilyBuilder()
        for t in kept {
            let labels: Labels = ["datname": t.datname, "schemaname": t.schemaname, "relname": t.relname]
            for s in specs {
                if t.omitted.contains(s.column) { continue }
                set.add(s.name, s.type, t.values[s.column] ?? 0, labels, help: s.help)
            }
        }
        return set.families
    }
}
