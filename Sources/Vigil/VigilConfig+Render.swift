import Notify
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
        lines.append("  evaluation_interval: \(PromDuration.format(evaluationInterval))")
        lines.append("  state_dir: \(quoted(global.stateDirectory))")
        lines.append("  external_url: \(quoted(global.externalURL))")
        lines.append("  external_labels: {\(global.externalLabels.keys.sorted().map { "\($0): \(quoted(global.externalLabels[$0] ?? ""))" }.joined(separator: ", "))}")
        lines.append("web:")
        lines.append("  listen_address: \(quoted(web.listenAddress))")
        lines.append("  max_connections: \(web.maxConnections)")
        lines.append("  connection_timeout: \(PromDuration.format(web.connectionTimeout))")
        lines.append("  header_timeout: \(PromDuration.format(web.headerTimeout))")
        lines.append("  query_timeout: \(PromDuration.format(web.queryTimeout))")
        lines.append("  query_max_concurrency: \(web.queryMaxConcurrency)")
        lines.append("  query_max_samples: \(web.queryMaxSamples)")
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
        lines.append("rule_files: [\(ruleFiles.map(quoted).joined(separator: ", "))]   # \(ruleGroups.count) groups, \(ruleGroups.reduce(0) { $0 + $1.rules.count }) rules")
        if let alerting {
            lines.append("alerting:   # receiver URLs shown as scheme://host only; keys and tokens redacted")
            lines.append("  route:")
            appendRoute(alerting.route, indent: "    ", to: &lines)
            lines.append("  receivers:")
            for r in alerting.receivers {
                lines.append("    - name: \(quoted(r.name))")
                lines.append(r.integrations.isEmpty ? "      integrations: []" : "      integrations:")
                for i in r.integrations {
                    lines.append("        - {kind: \(i.kind.rawValue), url: \(quoted(Integration.redactedHost(i.url))), send_resolved: \(i.sendResolved)}")
                }
            }
            lines.append("  inhibit_rules: \(alerting.inhibitRules.count)")
        } else {
            lines.append("alerting: null   # alerts are evaluated but not sent anywhere")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func appendRoute(_ r: Route, indent: String, to lines: inout [String]) {
        lines.append("\(indent)receiver: \(quoted(r.receiver))")
        if !r.matchers.isEmpty { lines.append("\(indent)matchers: [\(r.matchers.map { quoted($0.description) }.joined(separator: ", "))]") }
        lines.append("\(indent)group_wait: \(PromDuration.format(r.groupWait))")
        lines.append("\(indent)group_interval: \(PromDuration.format(r.groupInterval))")
        lines.append("\(indent)repeat_interval: \(PromDuration.format(r.repeatInterval))")
        if r.continue { lines.append("\(indent)continue: true") }
        if !r.routes.isEmpty {
            lines.append("\(indent)routes:")
            for child in r.routes {
                var sub: [String] = []
                appendRoute(child, indent: indent + "    ", to: &sub)
                if let first = sub.first { lines.append(indent + "  - " + first.dropFirst(indent.count + 4)) }
                lines += sub.dropFirst()
            }
        }
    }

    private func quoted(_ s: String) -> String { VigilLogHandler.jsonString(s) }
}
