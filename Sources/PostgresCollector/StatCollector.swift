import VigilCore

/// Runs statements for a collection on one connection, bounded by the cycle's deadline,
/// and counts them.
protocol SQLRunner: AnyObject {
    /// Runs one statement; `prepared`: parsed and planned once per connection (Vigil's own
    /// statements), else sent as it is (custom queries, which may hold several statements).
    func query(_ sql: String, _ params: [String?], prepared: Bool) throws -> QueryResult
    /// The database this runner's connection is attached to.
    var database: String { get }
}

extension SQLRunner {
    func query(_ sql: String, _ params: [String?] = []) throws -> QueryResult { try query(sql, params, prepared: true) }
    func rows(_ sql: String, _ params: [String?] = []) throws -> [Row] { try query(sql, params).namedRows }
}

/// What one collection knows about the server it talks to.
struct ServerContext {
    var version: ServerVersion
    /// `version()`: the full version string.
    var versionString: String
    var isReplica: Bool
    var options: PostgresCollectorOptions
    /// Per-database runners, for statistics that live in each database.
    var connector: any DatabaseConnector
}

/// One statistics view (postgres_exporter's "collector"): it queries and maps rows to
/// families. The mapping is pure and is tested with fabricated rows.
protocol StatCollector: AnyObject {
    /// The collector name: the `collector` label of `pg_scrape_collector_*` and the switch name
    /// in the options (postgres_exporter's names where it has the same collector).
    var name: String { get }
    /// The `collectors:` switches that turn it on (by default just `name`; one collector may
    /// serve several of postgres_exporter's collectors, on when any of them is).
    var switches: [String] { get }
    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily]
    /// Whether the collector runs with these options (by default: any of its switches).
    func isEnabled(_ options: PostgresCollectorOptions) -> Bool
}

extension StatCollector {
    var switches: [String] { [name] }
    func isEnabled(_ options: PostgresCollectorOptions) -> Bool { switches.contains { options.isEnabled($0) } }
}

/// Thrown by a collector that got part of its data: the families it has are published, the
/// collector counts as failed and `message` is logged.
struct PartialFailure: Error, CustomStringConvertible {
    let families: [MetricFamily]
    let message: String
    var description: String { message }
}

/// Thrown by a collector that cannot run here (extension missing, version too old). It
/// counts as a failed collector but is logged only once.
struct CollectorUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
