/// Exact table and index sizes (`pg_table_size`, `pg_indexes_size`), kept between size passes.
///
/// Exact sizes are the expensive part of per-table statistics: each call opens the table and
/// its indexes and stats their files, for every table of every database (tens of µs of server CPU
/// a table). They change slowly, so a database gets a full exact pass every `interval`
/// seconds; in between, each table keeps the size its last pass measured, and only tables the
/// cache does not know (new, or rewritten: TRUNCATE, VACUUM FULL, CLUSTER give the table a new
/// `relfilenode`) are sized, by a statement sent only then (`toMeasure`). Sizes estimated from `relpages` (a table
/// under an ACCESS EXCLUSIVE lock) are never kept: such a table is sized again next cycle.
/// A table missing from a database's rows is forgotten. Pure: time is an argument.
struct TableSizes {
    /// One table's sizes as its last exact measurement found them.
    struct Size: Equatable {
        var relfilenode: String
        var table: Double
        var indexes: Double
    }

    /// One database's sizes and when its last full pass ran.
    struct Database {
        var passAt: Double
        var tables: [String: Size]
    }

    /// Seconds between full exact passes of a database (0: every collection).
    let interval: Double
    private(set) var databases: [String: Database] = [:]

    init(interval: Double) {
        self.interval = max(0, interval)
    }

    /// Whether `database` is due a full exact pass at `now` (never seen, or its last pass is
    /// `interval` old).
    func isDue(_ database: String, at now: Double) -> Bool {
        guard let d = databases[database] else { return true }
        return interval == 0 || now - d.passAt >= interval
    }

    /// The tables of `database` whose kept sizes this cycle may use, as the two parallel
    /// arrays the statement takes (relid, relfilenode): empty when a full pass is due.
    func known(_ database: String, at now: Double) -> (relids: [String], relfilenodes: [String]) {
        guard !isDue(database, at: now), let d = databases[database] else { return ([], []) }
        let keys = d.tables.keys.sorted()
        return (keys, keys.map { d.tables[$0]?.relfilenode ?? "" })
    }

    /// The tables (relid, relfilenode, as the statistics statement listed them) of `database`
    /// to measure at `now`: every one when a full pass is due, else those the cache does not
    /// hold under that file (new, rewritten, or estimated under a lock last time). Empty: no
    /// size statement this cycle.
    func toMeasure(_ database: String, _ tables: [(relid: String, relfilenode: String)], at now: Double) -> [String] {
        guard !isDue(database, at: now), let d = databases[database] else { return tables.map(\.relid) }
        return tables.filter { d.tables[$0.relid]?.relfilenode != $0.relfilenode }.map(\.relid)
    }

    /// One table as a database's statement returned it: `exact` when it measured the sizes
    /// this cycle, nil sizes when it left them to the cache.
    struct Measured {
        var relid: String
        var relfilenode: String
        var table: Double?
        var indexes: Double?
        var exact: Bool
    }

    /// Takes one database's rows (all its tables, `fullPass` when `known` was empty for it)
    /// and returns each table's sizes, in row order: measured ones, else the kept ones (0 when
    /// neither, which a correct statement never leaves). Tables not in `rows` are forgotten.
    mutating func merge(_ database: String, _ rows: [Measured], fullPass: Bool, at now: Double) -> [(table: Double, indexes: Double)] {
        let old = databases[database]?.tables ?? [:]
        var kept: [String: Size] = [:]
        var sizes: [(table: Double, indexes: Double)] = []
        sizes.reserveCapacity(rows.count)
        for r in rows {
            if let t = r.table, let i = r.indexes {
                sizes.append((t, i))
                if r.exact { kept[r.relid] = Size(relfilenode: r.relfilenode, table: t, indexes: i) }
            } else if let s = old[r.relid], s.relfilenode == r.relfilenode {
                sizes.append((s.table, s.indexes))
                kept[r.relid] = s
            } else {
                sizes.append((0, 0))
            }
        }
        let passAt = fullPass || databases[database] == nil ? now : databases[database]?.passAt ?? now
        databases[database] = Database(passAt: passAt, tables: kept)
        return sizes
    }

    /// Forgets databases no longer visited (every one not in `present`).
    mutating func keep(only present: Set<String>) {
        for name in databases.keys where !present.contains(name) { databases[name] = nil }
    }
}
