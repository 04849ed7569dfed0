import PostgresCollector
import RedisCollector
import VigilCore

extension VigilConfig {
    /// The effective configuration as YAML, every default filled in and every secret redacted.
    func renderedYAML() -> String {
        var lines: [String] = ["# effective configuration (source: \(source)); secrets are redacted"]
        lines.append("global:")
        lines.append("  collect_interval: \(PromDuration.format(global.collectInterval))")
        lines.append("  collect_timeout: \(PromDuration.format(timeout(interval: global.collectInterval, own: nil)))")
        lines.append("web:")
        lines.append("  listen_address: \(quoted(web.listenAddress))")
        lines.append("  max_connections: \(web.maxConnections)")
        lines.append("  connection_timeout: \(PromDuration.format(web.connectionTimeout))")
        lines.append("postgres:")
        lines.append(postgres.isEmpty ? "  targets: []" : "  targets:")
        for t in postgres {
            let i = interval(t.collectInterval)
            let o = t.options
            lines.append("    - name: \(quoted(t.name))")
            lines.append("      dsn: \(quoted(o.dsn.isEmpty ? "" : Redaction.conninfo(o.dsn)))")
            lines.append("      collect_interval: \(PromDuration.format(i))")
            lines.append("      collect_timeout: \(PromDuration.format(timeout(interval: i, own: t.collectTimeout)))")
            lines.append("      connect_timeout: \(PromDuration.format(o.connectTimeout))")
            lines.append("      statement_timeout: \(PromDuration.format(o.statementTimeout))")
            lines.append("      lock_timeout: \(PromDuration.format(o.lockTimeout))")
            lines.append("      application_name: \(quoted(o.applicationName))")
            lines.append("      reconnect_backoff_max: \(PromDuration.format(o.reconnectBackoffMax))")
            lines.append("      collectors:")
            for name in PostgresCollectorOptions.defaultCollectors.keys.sorted() {
                lines.append("        \(name): \(o.isEnabled(name))")
            }
            lines.append("      statements_top_n: \(o.statementsTopN)")
            lines.append("      statement_latency_buckets: [\(o.statementLatencyBuckets.map(formatValue).joined(separator: ", "))]")
            lines.append("      all_databases: \(o.allDatabases)")
            lines.append("      include_databases: [\(o.includeDatabases.map(quoted).joined(separator: ", "))]")
            lines.append("      exclude_databases: [\(o.excludeDatabases.map(quoted).joined(separator: ", "))]")
            lines.append("      table_series_cap: \(o.tableSeriesCap)")
            if let q = o.queriesFile { lines.append("      queries_file: \(quoted(q))") }
        }
        lines.append("redis:")
        lines.append(redis.isEmpty ? "  targets: []" : "  targets:")
        for t in redis {
            let i = interval(t.collectInterval)
            let o = t.options
            lines.append("    - name: \(quoted(t.name))")
            lines.append("      url: \(quoted(Redaction.url(o.url)))")
            if let u = o.username { lines.append("      username: \(quoted(u))") }
            if o.password != nil { lines.append("      password: \(quoted(Redaction.mask))") }
            if let f = o.passwordFile { lines.append("      password_file: \(quoted(f))") }
            lines.append("      collect_interval: \(PromDuration.format(i))")
            lines.append("      collect_timeout: \(PromDuration.format(timeout(interval: i, own: t.collectTimeout)))")
            lines.append("      connect_timeout: \(PromDuration.format(o.connectTimeout))")
            lines.append("      command_timeout: \(PromDuration.format(o.commandTimeout))")
            lines.append("      reconnect_backoff_initial: \(PromDuration.format(o.reconnectBackoffInitial))")
            lines.append("      reconnect_backoff_max: \(PromDuration.format(o.reconnectBackoffMax))")
            lines.append("      client_name: \(quoted(o.clientName ?? ""))")
            lines.append("      config_command: \(quoted(o.configCommand))")
            lines.append("      include_empty_databases: \(o.includeEmptyDatabases)")
            lines.append("      latency_histograms: \(o.latencyHistograms)")
            lines.append(o.keyPatterns.isEmpty ? "      key_patterns: []" : "      key_patterns:")
            for k in o.keyPatterns { lines.append("        - {db: \(k.db), pattern: \(quoted(k.pattern))}") }
            lines.append("      bullmq:")
            lines.append("        enabled: \(o.bullmq.enabled)")
            lines.append("        prefixes: [\(o.bullmq.prefixes.map(quoted).joined(separator: ", "))]")
            if let dbs = o.bullmq.databases { lines.append("        databases: [\(dbs.map(String.init).joined(separator: ", "))]") }
            lines.append("        max_queues: \(o.bullmq.maxQueues)")
            lines.append("      scan_interval: \(PromDuration.format(o.scanInterval))")
            lines.append("      scan_keys_per_second: \(Int(o.scanKeysPerSecond))")
            lines.append("      scan_count: \(o.scanCount)")
            lines.append("      scan_time_per_cycle: \(PromDuration.format(o.scanTimePerCycle))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ s: String) -> String { VigilLogHandler.jsonString(s) }
}
