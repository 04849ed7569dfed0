/// Everything a PostgreSQL target can be configured with. The YAML configuration of a
/// `postgres.targets[]` entry maps onto this; every field has a working default.
public struct PostgresCollectorOptions: Sendable, Hashable {
    /// libpq connection string: a URI (`postgresql://user:pw@host:5432/db?sslmode=require`)
    /// or `key=value` pairs. Every libpq parameter (`sslmode`, `sslrootcert`, `options`, …)
    /// passes through. An empty string means libpq's own environment (`PGHOST`, …) and defaults.
    public var dsn: String

    /// Seconds allowed to establish a connection (also bounded by the cycle's deadline).
    public var connectTimeout: Double = 5

    /// Server-side `statement_timeout` for the collector's sessions, in seconds (0 = none).
    /// Every statement is also bounded on the client by the collection deadline.
    public var statementTimeout: Double = 5

    /// Server-side `lock_timeout` for the collector's sessions, in seconds (0 = none): how long
    /// a statement may wait for a lock (tables under an ACCESS EXCLUSIVE lock are sized from
    /// estimates rather than waited for; this bounds what remains, custom queries included).
    public var lockTimeout: Double = 1

    /// `application_name` of the collector's sessions (a value in the DSN wins).
    public var applicationName: String = "vigil"

    /// Largest wait between reconnection attempts after failures, in seconds. The first retry
    /// happens on the next cycle; later ones wait 1 s, 2 s, … up to this.
    public var reconnectBackoffMax: Double = 5

    /// Per-collector switches by collector name (`stat_statements`, `settings`, …), overriding
    /// `PostgresCollectorOptions.defaultCollectors`.
    public var collectors: [String: Bool] = [:]

    /// Statements kept by `pg_stat_statements_*`: the top N by total time; the rest are summed
    /// into one remainder series (`queryid="other"`).
    public var statementsTopN: Int = 100

    /// Upper bounds (seconds) of the `pg_stat_statements_latency_seconds` histogram buckets.
    public var statementLatencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// Per-table statistics for every connectable database, not only the DSN's one.
    public var allDatabases: Bool = true

    /// Databases to include (exact names; empty = all). Applies to per-database statistics.
    public var includeDatabases: [String] = []

    /// Databases to leave out of per-database statistics (exact names). `template0`/`template1`
    /// are never visited.
    public var excludeDatabases: [String] = []

    /// Most tables with their own series per target, largest first; the rest of each database
    /// is summed into one series with `schemaname="other", relname="other"`.
    public var tableSeriesCap: Int = 1000

    /// Seconds between exact size measurements (`pg_database_size`, `pg_table_size`,
    /// `pg_indexes_size`), which read every file of every table: in between, each database and
    /// table keeps the size its last measurement found (new ones are measured on first sight).
    /// 0 measures every collection, as postgres_exporter does.
    public var sizeInterval: Double = 300

    /// Custom queries in postgres_exporter's `queries.yaml` format.
    public var queriesFile: String?

    public init(dsn: String) {
        self.dsn = dsn
    }

    /// Collectors that run unless switched off; the others run only when switched on.
    public static let defaultCollectors: [String: Bool] = Dictionary(
        PostgresSession.registry.flatMap(\.switches).map { ($0, true) }, uniquingKeysWith: { a, _ in a })

    /// Whether the collector named `name` runs.
    public func isEnabled(_ name: String) -> Bool {
        collectors[name] ?? Self.defaultCollectors[name] ?? false
    }

    /// Whether per-database statistics visit `database`.
    public func includes(database: String) -> Bool {
        if database == "template0" || database == "template1" { return false }
        if excludeDatabases.contains(database) { return false }
        return includeDatabases.isEmpty || includeDatabases.contains(database)
    }
}
