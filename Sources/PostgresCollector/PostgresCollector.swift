public import Logging
import Synchronization
public import VigilCore

/// Collects a PostgreSQL server: postgres_exporter's default families (same names, types and
/// labels) plus Vigil's additions. One persistent connection per target (and one per database
/// for per-database statistics), reconnected with backoff. `collect` throws when the server
/// cannot be reached, so the Scheduler publishes `pg_up 0` and drops the old values.
public final class PostgresCollector: Collector {
    public let kind = "postgres"
    public let upMetric: String? = "pg_up"

    private let session: Mutex<PostgresSession>
    private let options: PostgresCollectorOptions

    public init(options: PostgresCollectorOptions, logger: Logger = Logger(label: "vigil.postgres")) {
        self.options = options
        session = Mutex(PostgresSession(options: options, logger: logger))
    }

    /// Reads the custom queries file of `options` and returns the first problem found (file,
    /// line, query name and column at fault), or nil when the file is fine or none is set.
    /// For configuration checks (`vigil check-config`).
    public static func validateQueriesFile(_ options: PostgresCollectorOptions) -> String? {
        guard let path = options.queriesFile else { return nil }
        do {
            _ = try CustomQueries.load(path: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    public func collect(_ context: CollectContext) throws -> [MetricFamily] {
        try session.withLock { s in try s.collect(context) }
    }

    /// The DSN's `connect_timeout` when it is shorter than the option's.
    public var connectTimeout: Double { PostgresSession.connectTimeout(options: options) }

    public func connect(deadline: ContinuousClock.Instant) throws {
        try session.withLock { s in try s.connect(deadline: deadline) }
    }

    public func close() {
        session.withLock { $0.close() }
    }
}
