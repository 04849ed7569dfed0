import VigilCore

/// Per-table statistics (`pg_stat_user_tables_*`, `pg_statio_user_tables_*`) for every
/// database the options include, one statement per database. At most `tableSeriesCap` tables
/// get their own series, largest first across all databases; the rest of each database is
/// summed into one series labelled `schemaname="other", relname="other"`.
final class UserTables: StatCollector {
    let name = "stat_user_tables"
    private let cap: Int

    init(options: PostgresCollectorOptions) {
        cap = max(0, options.tableSeriesCap)
    }

    let switches = ["stat_user_tables", "statio_user_tables"]

    static let query = """
        \(StatUserTables.exclusiveLocks)
        SELECT current_database() AS datname, s.schemaname, s.relname,
        \(StatUserTables.selectList),
        \(StatioUserTables.selectList)
        FROM pg_stat_user_tables s
        JOIN pg_statio_user_tables io ON io.relid = s.relid
        JOIN pg_class c ON c.oid = s.relid
        """

    /// One table's numbers.
    struct Table {
        var datname: String
        var schemaname: String
        var relname: String
        var values: [String: Double]
        var size: Double { values["table_size"] ?? 0 }
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        let columns = (StatUserTables.specs + StatioUserTables.specs).map(\.column)
        let (perDatabase, failures) = try server.connector.each(main: sql) { runner -> [Table] in
            try runner.rows(Self.query).map { row in
                var values: [String: Double] = [:]
                for c in columns { values[c] = row.double(c) ?? 0 }
                return Table(datname: row.label("datname"), schemaname: row.label("schemaname"),
                             relname: row.label("relname"), values: values)
            }
        }
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
                    r.values[k] = StatUserTables.timestampColumns.contains(k) ? max(r.values[k] ?? 0, v) : (r.values[k] ?? 0) + v
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
                set.add(s.name, s.type, t.values[s.column] ?? 0, labels, help: s.help)
            }
        }
        return set.families
    }
}
