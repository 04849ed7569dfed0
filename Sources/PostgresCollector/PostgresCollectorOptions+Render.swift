import VigilCore

extension PostgresCollectorOptions {
    /// The options as `check-config` prints them (after name and schedule), the DSN's password
    /// redacted.
    public var renderedLines: [String] {
        let q = TargetList.quoted
        var lines: [String] = [
            "dsn: \(q(dsn.isEmpty ? "" : Redaction.conninfo(dsn)))",
            "connect_timeout: \(PromDuration.format(connectTimeout))",
            "statement_timeout: \(PromDuration.format(statementTimeout))",
            "lock_timeout: \(PromDuration.format(lockTimeout))",
            "application_name: \(q(applicationName))",
            "reconnect_backoff_max: \(PromDuration.format(reconnectBackoffMax))",
            "collectors:",
        ]
        for name in PostgresCollectorOptions.defaultCollectors.keys.sorted() {
            lines.append("  \(name): \(isEnabled(name))")
        }
        lines.append("statements_top_n: \(statementsTopN)")
        lines.append("statement_latency_buckets: [\(statementLatencyBuckets.map(formatValue).joined(separator: ", "))]")
        lines.append("all_databases: \(allDatabases)")
        lines.append("include_databases: [\(includeDatabases.map(q).joined(separator: ", "))]")
        lines.append("exclude_databases: [\(excludeDatabases.map(q).joined(separator: ", "))]")
        lines.append("table_series_cap: \(tableSeriesCap)")
        lines.append("size_interval: \(PromDuration.format(sizeInterval))")
        if let queriesFile { lines.append("queries_file: \(q(queriesFile))") }
        return lines
    }
}
