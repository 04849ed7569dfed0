import Notify
import PostgresCollector
import RedisCollector
import RemoteWrite
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
        if let url = web.dashboardsURL { lines.append("  dashboards_url: \(quoted(url))") }
        lines.append("  health_without_auth: \(web.healthWithoutAuth)")
        lines.append("rule_files: [\(ruleFiles.map(quoted).joined(separator: ", "))]   # \(ruleGroups.count) groups, \(ruleGroups.reduce(0) { $0 + $1.rules.count }) rules")
        for kind in Self.kinds { lines += kind.render(targets(of: kind.section)) }
        lines.append(remoteWrite.isEmpty ? "remote_write: []" : "remote_write:")
        for r in remoteWrite { lines += r.rendered.enumerated().map { ($0.offset == 0 ? "  - " : "    ") + $0.element } }
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
