import Foundation
public import VigilCore

/// Ranges of a PostgreSQL target's durations (seconds) and numbers; README.md lists the same.
public enum PostgresLimits {
    public static let connectTimeout: ClosedRange<Double> = 0.01...600             // 10ms … 10m
    public static let serverTimeout: ClosedRange<Double> = 0...3600                // 0 (none) … 1h
    public static let reconnectBackoff: ClosedRange<Double> = 0.001...86_400       // 1ms … 1d
    public static let statementsTopN: ClosedRange<Int> = 1...100_000
    public static let tableSeriesCap: ClosedRange<Int> = 0...1_000_000
    public static let sizeInterval: ClosedRange<Double> = 0...86_400                 // 0 (every collection) … 1d
    public static let latencyBucketCount = 100
    public static let latencyBucketBound: ClosedRange<Double> = 0.000_001...31_536_000   // 1µs … 1y
}

extension PostgresCollectorOptions {
    /// One item of `postgres.targets` (its own keys; name and schedule are `TargetList`'s).
    public static func read(_ t: StrictYAMLReader) throws(PositionedError) -> PostgresCollectorOptions {
        guard let dsn = try t.secret("dsn") else {
            throw t.context.error(t.node, t.path, "dsn or dsn_file is required")
        }
        try validate(dsn: dsn, reader: t)
        var o = PostgresCollectorOptions(dsn: dsn)
        o.connectTimeout = try t.seconds("connect_timeout", range: PostgresLimits.connectTimeout) ?? o.connectTimeout
        o.statementTimeout = try t.seconds("statement_timeout", range: PostgresLimits.serverTimeout) ?? o.statementTimeout
        o.lockTimeout = try t.seconds("lock_timeout", range: PostgresLimits.serverTimeout) ?? o.lockTimeout
        o.applicationName = try t.string("application_name") ?? o.applicationName
        o.reconnectBackoffMax = try t.seconds("reconnect_backoff_max", range: PostgresLimits.reconnectBackoff) ?? o.reconnectBackoffMax
        if let c = try t.mapping("collectors") {
            for name in PostgresCollectorOptions.defaultCollectors.keys.sorted() {
                if let on = try c.bool(name) { o.collectors[name] = on }
            }
            try c.finish()
        }
        o.statementsTopN = try t.int("statements_top_n", range: PostgresLimits.statementsTopN) ?? o.statementsTopN
        if let buckets = try t.sequence("statement_latency_buckets") {
            guard buckets.count <= PostgresLimits.latencyBucketCount else {
                throw t.error("statement_latency_buckets", "at most \(PostgresLimits.latencyBucketCount) buckets")
            }
            var bounds: [Double] = []
            for item in buckets { bounds.append(try t.number(item.node, item.path, range: PostgresLimits.latencyBucketBound)) }
            guard bounds == bounds.sorted(), Set(bounds).count == bounds.count else {
                throw t.error("statement_latency_buckets", "bucket bounds must be strictly increasing")
            }
            o.statementLatencyBuckets = bounds
        }
        o.allDatabases = try t.bool("all_databases") ?? o.allDatabases
        o.includeDatabases = try t.stringList("include_databases") ?? o.includeDatabases
        o.excludeDatabases = try t.stringList("exclude_databases") ?? o.excludeDatabases
        o.tableSeriesCap = try t.int("table_series_cap", range: PostgresLimits.tableSeriesCap) ?? o.tableSeriesCap
        o.sizeInterval = try t.seconds("size_interval", range: PostgresLimits.sizeInterval) ?? o.sizeInterval
        if let file = try t.string("queries_file") {
            let full = file.hasPrefix("/") ? file : "\(t.context.baseDirectory)/\(file)"
            guard FileManager.default.isReadableFile(atPath: full) else {
                throw t.error("queries_file", "cannot read file \(full)")
            }
            o.queriesFile = full
            if let problem = PostgresCollector.validateQueriesFile(o) {
                throw t.error("queries_file", problem)
            }
        }
        return o
    }

    /// A URI DSN needs a postgres scheme; then libpq's own parser and its connect-time value
    /// checks (port, sslmode, connect_timeout, …) decide, with the password never shown.
    private static func validate(dsn: String, reader: StrictYAMLReader) throws(PositionedError) {
        let key = reader.has("dsn") ? "dsn" : "dsn_file"
        guard !dsn.isEmpty else { return }
        if dsn.contains("://"), !(dsn.hasPrefix("postgres://") || dsn.hasPrefix("postgresql://")) {
            throw reader.error(key, "invalid PostgreSQL DSN: the scheme must be postgresql:// or postgres://")
        }
        if let problem = PostgresCollector.validateDSN(dsn) { throw reader.error(key, "invalid PostgreSQL DSN: \(problem)") }
    }
}
