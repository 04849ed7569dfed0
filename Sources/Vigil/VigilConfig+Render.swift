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
            lines.append("    - name: \(quoted(t.name))")
            lines.append("      dsn: \(quoted(t.dsn.isEmpty ? "" : Redaction.conninfo(t.dsn)))")
            lines.append("      collect_interval: \(PromDuration.format(i))")
            lines.append("      collect_timeout: \(PromDuration.format(timeout(interval: i, own: t.collectTimeout)))")
        }
        lines.append("redis:")
        lines.append(redis.isEmpty ? "  targets: []" : "  targets:")
        for t in redis {
            let i = interval(t.collectInterval)
            lines.append("    - name: \(quoted(t.name))")
            lines.append("      url: \(quoted(Redaction.url(t.url)))")
            if t.password != nil { lines.append("      password: \(quoted(Redaction.mask))") }
            lines.append("      collect_interval: \(PromDuration.format(i))")
            lines.append("      collect_timeout: \(PromDuration.format(timeout(interval: i, own: t.collectTimeout)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ s: String) -> String { VigilLogHandler.jsonString(s) }
}
