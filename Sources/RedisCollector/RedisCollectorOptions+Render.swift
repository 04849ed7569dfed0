import VigilCore

extension RedisCollectorOptions {
    /// The options as `check-config` prints them (after name and schedule); the URL's password
    /// and the password are redacted.
    public var renderedLines: [String] {
        let q = TargetList.quoted
        var lines: [String] = ["url: \(q(Redaction.url(url)))"]
        if let tls { lines.append(tls.rendered) }
        if let username { lines.append("username: \(q(username))") }
        if password != nil { lines.append("password: \(q(Redaction.mask))") }
        if let passwordFile { lines.append("password_file: \(q(passwordFile))") }
        lines.append("connect_timeout: \(PromDuration.format(connectTimeout))")
        lines.append("command_timeout: \(PromDuration.format(commandTimeout))")
        lines.append("reconnect_backoff_initial: \(PromDuration.format(reconnectBackoffInitial))")
        lines.append("reconnect_backoff_max: \(PromDuration.format(reconnectBackoffMax))")
        lines.append("client_name: \(q(clientName ?? ""))")
        lines.append("config_command: \(q(configCommand))")
        lines.append("include_empty_databases: \(includeEmptyDatabases)")
        lines.append("latency_histograms: \(latencyHistograms)")
        lines.append(keyPatterns.isEmpty ? "key_patterns: []" : "key_patterns:")
        for k in keyPatterns { lines.append("  - {db: \(k.db), pattern: \(q(k.pattern))}") }
        lines.append("bullmq:")
        lines.append("  enabled: \(bullmq.enabled)")
        lines.append("  prefixes: [\(bullmq.prefixes.map(q).joined(separator: ", "))]")
        if let dbs = bullmq.databases { lines.append("  databases: [\(dbs.map(String.init).joined(separator: ", "))]") }
        lines.append("  max_queues: \(bullmq.maxQueues)")
        lines.append("  events_streams: \(bullmq.eventsStreams)")
        for (name, list) in [("check_streams", checkStreams), ("check_single_streams", checkSingleStreams),
                             ("check_keys", checkKeys), ("check_single_keys", checkSingleKeys)] {
            lines.append("\(name): [\(list.map { q("db\($0.db)=\($0.key)") }.joined(separator: ", "))]")
        }
        lines.append("check_keys_string_values: \(checkKeysStringValues)")
        lines.append("max_streams: \(maxStreams)")
        lines.append("max_checked_keys: \(maxCheckedKeys)")
        lines.append("export_client_list: \(exportClientList)")
        lines.append("clients_by_name: \(clientsByName)")
        lines.append("max_client_names: \(maxClientNames)")
        lines.append("include_config_metrics: \(includeConfigMetrics)")
        lines.append("scan_interval: \(PromDuration.format(scanInterval))")
        lines.append("scan_keys_per_second: \(formatValue(scanKeysPerSecond))")
        lines.append("scan_count: \(scanCount)")
        lines.append("scan_time_per_cycle: \(PromDuration.format(scanTimePerCycle))")
        return lines
    }
}
