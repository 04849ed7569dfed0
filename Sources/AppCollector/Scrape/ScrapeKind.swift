import Foundation
import Logging
import HTTPClient
import Rules
public import VigilCore

/// `scrape_configs:` as in prometheus.yml (the subset in the README): one target per job and
/// static target, each scraped on its own thread.
public struct ScrapeKind: TargetKind {
    public let section = "scrape_configs"

    public init() {}

    static let intervalRange = 0.1...86_400.0
    static let sampleLimitRange = 0...100_000_000
    static let labelLimitRange = 0...10_000

    /// `scrape_configs:` as a list, one item per job × target.
    public func render(_ targets: [ConfiguredTarget]) -> [String] {
        TargetList.renderList(section: section, targets, intervalKey: "scrape_interval", timeoutKey: "scrape_timeout")
    }

    public func read(_ top: StrictYAMLReader, defaults: TargetDefaults) throws(PositionedError) -> [ConfiguredTarget] {
        guard let items = try top.sequence(section) else { return [] }
        var jobs: Set<String> = []
        var out: [ConfiguredTarget] = []
        for item in items {
            let job = try StrictYAMLReader(item.node, path: item.path, context: top.context)
            out += try readJob(job, defaults: defaults, jobs: &jobs)
        }
        return out
    }

    private func readJob(_ j: StrictYAMLReader, defaults: TargetDefaults, jobs: inout Set<String>) throws(PositionedError) -> [ConfiguredTarget] {
        let name = try j.requiredString("job_name")
        guard jobs.insert(name).inserted else { throw j.error("job_name", "another scrape config has the job name \"\(name)\"") }
        let scheme = try j.string("scheme") ?? "http"
        guard scheme == "http" || scheme == "https" else { throw j.error("scheme", "must be http or https") }
        let path = try j.string("metrics_path") ?? "/metrics"
        guard path.hasPrefix("/"), !path.contains(where: { $0 == " " || $0 == "#" || $0.isNewline }) else {
            throw j.error("metrics_path", "must be a path starting with /")
        }
        var params: [(name: String, values: [String])] = []
        if let p = try j.mapping("params") {
            for key in p.keys {
                guard !key.isEmpty else { throw p.error(key, "a parameter needs a name") }
                guard let values = try p.stringList(key), !values.isEmpty else { throw p.error(key, "expected a list of values") }
                params.append((key, values))
            }
            try p.finish()
        }
        let interval = try range(j, "scrape_interval", Self.intervalRange) ?? defaults.interval(nil)
        let timeout = try range(j, "scrape_timeout", 0.001...Self.intervalRange.upperBound) ?? min(defaults.collectTimeout ?? 10, interval)
        guard timeout <= interval else {
            throw j.error("scrape_timeout", "must not be greater than scrape_interval (\(PromDuration.format(interval)))")
        }
        let honor = try j.bool("honor_labels") ?? false
        var basic: (username: String, password: String)?
        if let b = try j.mapping("basic_auth") {
            basic = (try b.string("username") ?? "", try b.secret("password") ?? "")
            try b.finish()
        }
        var authorization: (type: String, credentials: String)?
        if let a = try j.mapping("authorization") {
            let type = try a.string("type") ?? "Bearer"
            guard !type.isEmpty, type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw a.error("type", "must be an authorization scheme such as Bearer")
            }
            guard type.lowercased() != "basic" else { throw a.error("type", "use basic_auth for Basic authorization") }
            guard let credentials = try a.secret("credentials"), !credentials.isEmpty else {
                throw j.error("authorization", "credentials or credentials_file is required")
            }
            authorization = (type, credentials)
            try a.finish()
        }
        if basic != nil, authorization != nil {
            throw j.error("authorization", "set either basic_auth or authorization, not both")
        }
        let tls = try j.tlsConfig("tls_config")
        let proxy = try j.proxyURL("proxy_url")
        let sampleLimit = try j.int("sample_limit", range: Self.sampleLimitRange) ?? 0
        let labelLimit = try j.int("label_limit", range: Self.labelLimitRange) ?? 0
        let bodyLimit = try bodySize(j, "body_size_limit") ?? ScrapeOptions.defaultBodySizeLimit
        var rules: [RelabelRule] = []
        var rendered: [String] = []
        for r in try j.sequence("metric_relabel_configs") ?? [] {
            let reader = try StrictYAMLReader(r.node, path: r.path, context: j.context)
            let (rule, line) = try Self.relabel(reader)
            rules.append(rule)
            rendered.append(line)
        }
        var targets: [(address: String, labels: [Label])] = []
        for s in try j.sequence("static_configs") ?? [] {
            let sc = try StrictYAMLReader(s.node, path: s.path, context: j.context)
            var labels: [Label] = []
            for l in try sc.stringMap("labels") ?? [] {
                guard RelabelRule.isLabelName(l.key) else { throw sc.error(l.node, "\(sc.childPath("labels")).\(l.key)", "invalid label name") }
                guard !l.key.hasPrefix("__") else {
                    throw sc.error(l.node, "\(sc.childPath("labels")).\(l.key)", "labels starting with __ are not supported here")
                }
                labels.append(Label(l.key, l.value))
            }
            for t in try sc.stringItems("targets") ?? [] {
                guard Self.isAddress(t.value) else {
                    throw sc.error(t.node, t.path, "must be host:port (no scheme or path; set scheme and metrics_path)")
                }
                targets.append((t.value, labels))
            }
            try sc.finish()
        }
        try j.finish()

        var names: Set<String> = []
        var out: [ConfiguredTarget] = []
        for t in targets {
            let options = ScrapeOptions(
                jobName: name, address: t.address, scheme: scheme, metricsPath: path, params: params, staticLabels: t.labels,
                honorLabels: honor, interval: interval, timeout: timeout, basicAuth: basic, authorization: authorization,
                tls: tls, proxyURL: proxy, sampleLimit: sampleLimit, labelLimit: labelLimit, bodySizeLimit: bodyLimit,
                metricRelabel: rules, renderedRelabel: rendered)
            let targetName = "\(name)/\(options.instance)"
            guard names.insert(targetName).inserted else {
                throw j.error("static_configs", "the target \(t.address) is listed twice in job \"\(name)\"")
            }
            let version = defaults.version
            out.append(ConfiguredTarget(
                kind: section, name: targetName, interval: interval, timeout: timeout, labels: options.targetLabels,
                rendered: Self.render(options), options: options,
                makeCollector: { logger in ScrapeCollector(options: options, version: version, logger: logger) }))
        }
        return out
    }

    private func range(_ r: StrictYAMLReader, _ key: String, _ allowed: ClosedRange<Double>) throws(PositionedError) -> Double? {
        try r.seconds(key, range: allowed)
    }

    /// Prometheus' size strings (`units.Base2Bytes`): a whole number with B, KB/KiB, MB/MiB or
    /// GB/GiB, all powers of 1024.
    private func bodySize(_ r: StrictYAMLReader, _ key: String) throws(PositionedError) -> Int? {
        guard let text = try r.string(key) else { return nil }
        let bytes = Self.parseSize(text)
        guard let bytes else { throw r.error(key, "invalid size \"\(text)\" (use e.g. 512KiB, 64MiB, 1GiB)") }
        let allowed = ScrapeOptions.bodySizeLimitRange
        guard allowed.contains(bytes) else { throw r.error(key, "must be between 1KiB and 1GiB") }
        return bytes
    }

    static func parseSize(_ text: String) -> Int? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 12, let n = Int(digits) else { return nil }
        let units: [String: Int] = ["B": 1, "KB": 1 << 10, "KiB": 1 << 10, "MB": 1 << 20, "MiB": 1 << 20, "GB": 1 << 30, "GiB": 1 << 30]
        guard let unit = units[String(text.dropFirst(digits.count))] else { return nil }
        return n.multipliedReportingOverflow(by: unit).overflow ? nil : n * unit
    }

    static func isAddress(_ s: String) -> Bool {
        guard !s.isEmpty, !s.contains("/"), !s.contains("@"), !s.contains(where: { $0.isWhitespace }) else { return false }
        let host: Substring
        var port: Substring?
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return false }
            host = s[s.index(after: s.startIndex)..<close]
            let rest = s[s.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return false }
                port = rest.dropFirst()
            }
        } else {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return false }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty else { return false }
        if let port { return Int(port).map { (1...65535).contains($0) } ?? false }
        return true
    }

    public static func relabel(_ r: StrictYAMLReader) throws(PositionedError) -> (RelabelRule, String) {
        let actionText = try r.string("action") ?? "replace"
        guard let action = RelabelRule.Action(rawValue: actionText.lowercased()) else {
            let known = RelabelRule.Action.allCases.map(\.rawValue).joined(separator: ", ")
            throw r.error("action", "unknown relabel action \"\(actionText)\" (one of \(known); hashmod is not supported)")
        }
        let source = try r.stringList("source_labels") ?? []
        for s in source where !RelabelRule.isLabelName(s) { throw r.error("source_labels", "invalid label name \"\(s)\"") }
        let separator = try r.string("separator")
        let regex = try r.string("regex")
        let target = try r.string("target_label")
        let replacement = try r.string("replacement")
        try r.finish()
        switch action {
        case .replace, .lowercase, .uppercase, .keepequal, .dropequal:
            guard let target, !target.isEmpty else { throw r.error("target_label", "the \(action.rawValue) action needs target_label") }
            if action == .replace {
                guard Self.isTargetTemplate(target) else { throw r.error("target_label", "\"\(target)\" is not a valid label name") }
            } else {
                guard RelabelRule.isLabelName(target) else { throw r.error("target_label", "\"\(target)\" is not a valid label name") }
            }
        case .labeldrop, .labelkeep:
            for (key, set) in [("source_labels", !source.isEmpty), ("separator", separator != nil), ("target_label", target != nil),
                               ("replacement", replacement != nil)] where set {
                throw r.error(key, "the \(action.rawValue) action takes only regex")
            }
        case .keep, .drop, .labelmap:
            break
        }
        if action == .keepequal || action == .dropequal, regex != nil || replacement != nil {
            throw r.error(regex != nil ? "regex" : "replacement", "the \(action.rawValue) action takes no regex or replacement")
        }
        let rule: RelabelRule
        do {
            rule = try RelabelRule(action: action, sourceLabels: source, separator: separator ?? ";", regex: regex ?? RelabelRule.defaultRegex,
                                   targetLabel: target ?? "", replacement: replacement ?? "$1")
        } catch {
            throw r.error("regex", "invalid regex: \(error.reason)")
        }
        var parts = ["action: \(action.rawValue)"]
        if !source.isEmpty { parts.append("source_labels: [\(source.joined(separator: ", "))]") }
        if let separator { parts.append("separator: \(quote(separator))") }
        if let regex { parts.append("regex: \(quote(regex))") }
        if let target { parts.append("target_label: \(quote(target))") }
        if let replacement { parts.append("replacement: \(quote(replacement))") }
        return (rule, "{\(parts.joined(separator: ", "))}")
    }

    /// A replace action's target label: a label name, possibly with `$1`/`${1}` references.
    static func isTargetTemplate(_ s: String) -> Bool {
        if RelabelRule.isLabelName(s) { return true }
        guard s.contains("$") else { return false }
        let probe = RelabelRule.expand(s, ["x", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
        return RelabelRule.isLabelName(probe.isEmpty ? "x" : probe) || RelabelRule.isLabelName("x" + probe)
    }

    /// The target's options for `check-config`: passwords and credentials redacted.
    static func render(_ o: ScrapeOptions) -> [String] {
        var lines = [
            "job_name: \(quote(o.jobName))",
            "url: \(quote("\(o.scheme)://\(o.address)\(o.metricsPath)"))",
            "labels: {\(o.targetLabels.map { "\($0.name): \(quote($0.value))" }.joined(separator: ", "))}",
            "honor_labels: \(o.honorLabels)",
        ]
        if !o.params.isEmpty {
            lines.append("params: {\(o.params.map { "\($0.name): [\($0.values.map(quote).joined(separator: ", "))]" }.joined(separator: ", "))}")
        }
        if let b = o.basicAuth { lines.append("basic_auth: {username: \(quote(b.username)), password: \(Redaction.mask)}") }
        if let a = o.authorization { lines.append("authorization: {type: \(quote(a.type)), credentials: \(Redaction.mask)}") }
        if let t = o.tls { lines.append(t.rendered) }
        if let p = o.proxyURL { lines.append("proxy_url: \(quote(Redaction.url(p)))") }
        lines.append("sample_limit: \(o.sampleLimit)")
        lines.append("label_limit: \(o.labelLimit)")
        lines.append("body_size_limit: \(o.bodySizeLimit)")
        lines.append(o.renderedRelabel.isEmpty ? "metric_relabel_configs: []" : "metric_relabel_configs:")
        lines += o.renderedRelabel.map { "  - \($0)" }
        return lines
    }
}
