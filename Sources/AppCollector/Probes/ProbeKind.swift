import Foundation
import HTTPClient
import Logging
import Rules
public import VigilCore

/// The `probes:` section: blackbox_exporter-style HTTP and TCP probes, one target each.
public struct ProbeKind: TargetKind {
    public let section = "probes"

    public init() {}

    public func render(_ targets: [ConfiguredTarget]) -> [String] { TargetList.renderList(section: section, targets) }

    public func read(_ top: StrictYAMLReader, defaults: TargetDefaults) throws(PositionedError) -> [ConfiguredTarget] {
        guard let items = try top.sequence(section) else { return [] }
        var names: Set<String> = []
        var out: [ConfiguredTarget] = []
        for item in items {
            let r = try StrictYAMLReader(item.node, path: item.path, context: top.context)
            let name = try r.requiredString("name")
            guard names.insert(name).inserted else { throw r.error("name", "duplicate probe name \"\(name)\"") }
            let proberText = try r.requiredString("prober")
            guard let prober = ProbeOptions.Prober(rawValue: proberText) else {
                if proberText == "dns" {
                    throw r.error("prober", "prober dns is not supported yet (supported: http, tcp)")
                }
                throw r.error("prober", "unknown prober \"\(proberText)\" (one of http, tcp)")
            }
            let target = try r.requiredString("target")
            let interval = defaults.interval(try r.seconds("interval", range: TargetList.collectInterval))
            let timeout = defaults.timeout(interval: interval, own: try r.seconds("timeout", range: TargetList.collectTimeout))
            guard timeout <= interval else { throw r.error("timeout", "must not be longer than the interval") }
            var options = ProbeOptions(name: name, prober: prober, target: target, http: HTTPProbeOptions(), tcp: TCPProbeOptions())
            switch prober {
            case .http:
                if r.has("tcp") { throw r.error("tcp", "belongs to prober tcp, not http") }
                options.target = target.hasPrefix("http://") || target.hasPrefix("https://") ? target : "http://" + target
                if let h = try r.mapping("http") { options.http = try Self.http(h) }
            case .tcp:
                if r.has("http") { throw r.error("http", "belongs to prober http, not tcp") }
                guard TCPProber.split(target) != nil else { throw r.error("target", "must be host:port for prober tcp") }
                if let t = try r.mapping("tcp") { options.tcp = try Self.tcp(t) }
            }
            try r.finish()
            let fixed = options
            let version = defaults.version
            out.append(ConfiguredTarget(
                kind: section, name: name, interval: interval, timeout: timeout,
                labels: [Label("probe", name), Label("instance", target)],
                rendered: Self.render(fixed), options: fixed,
                makeCollector: { logger in ProbeCollector(options: fixed, version: version, logger: logger) }))
        }
        return out
    }

    // MARK: - Module keys

    static func http(_ h: StrictYAMLReader) throws(PositionedError) -> HTTPProbeOptions {
        var o = HTTPProbeOptions()
        if let items = try h.stringItems("valid_status_codes") {
            for item in items {
                guard let code = Int(item.value), (100...599).contains(code) else {
                    throw h.error(item.node, item.path, "must be an HTTP status code (100-599)")
                }
                o.validStatusCodes.append(code)
            }
        }
        if let items = try h.stringItems("valid_http_versions") {
            for item in items {
                guard ["HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/3.0"].contains(item.value) else {
                    throw h.error(item.node, item.path, "must be one of HTTP/1.0, HTTP/1.1, HTTP/2.0, HTTP/3.0")
                }
                o.validHTTPVersions.append(item.value)
            }
        }
        if let m = try h.string("method") {
            guard !m.isEmpty, m.utf8.allSatisfy({ (65...90).contains($0) || $0 == UInt8(ascii: "-") }) else {
                throw h.error("method", "must be an upper-case HTTP method")
            }
            o.method = m
        }
        for (k, v, _) in try h.stringMap("headers") ?? [] { o.headers.append(HTTPClientHeader(k, v)) }
        o.body = try h.string("body") ?? ""
        o.failIfSSL = try h.bool("fail_if_ssl") ?? false
        o.failIfNotSSL = try h.bool("fail_if_not_ssl") ?? false
        if o.failIfSSL && o.failIfNotSSL { throw h.error("fail_if_not_ssl", "cannot be set together with fail_if_ssl") }
        o.failIfBodyMatches = try regexes(h, "fail_if_body_matches_regexp")
        o.failIfBodyNotMatches = try regexes(h, "fail_if_body_not_matches_regexp")
        o.failIfHeaderMatches = try headerMatches(h, "fail_if_header_matches")
        o.failIfHeaderNotMatches = try headerMatches(h, "fail_if_header_not_matches")
        o.tls = try h.tlsConfig("tls_config") ?? TLSOptions()
        o.proxyURL = try h.proxyURL("proxy_url")
        o.followRedirects = try h.bool("follow_redirects") ?? true
        o.ipProtocol = try ipProtocol(h)
        if let limit = try h.int("body_size_limit", range: 1...(1 << 30)) { o.bodySizeLimit = limit }
        try h.finish()
        return o
    }

    static func tcp(_ t: StrictYAMLReader) throws(PositionedError) -> TCPProbeOptions {
        var o = TCPProbeOptions()
        for item in try t.sequence("query_response") ?? [] {
            let q = try StrictYAMLReader(item.node, path: item.path, context: t.context)
            var step = QueryResponse()
            if let e = try q.string("expect") { step.expect = try regex(q, "expect", e) }
            step.send = try q.string("send")
            if try q.bool("starttls") == true { throw q.error("starttls", "starttls is not supported yet (use tls: true)") }
            guard step.expect != nil || step.send != nil else { throw q.error(item.node, item.path, "needs expect or send") }
            try q.finish()
            o.queryResponse.append(step)
        }
        guard o.queryResponse.count <= 100 else { throw t.error("query_response", "at most 100 steps") }
        o.tls = try t.bool("tls") ?? false
        o.tlsConfig = try t.tlsConfig("tls_config") ?? TLSOptions()
        o.ipProtocol = try ipProtocol(t)
        try t.finish()
        return o
    }

    static func ipProtocol(_ r: StrictYAMLReader) throws(PositionedError) -> IPProtocolPreference {
        var p = IPProtocolPreference()
        if let v = try r.string("preferred_ip_protocol") {
            guard v == "ip4" || v == "ip6" else { throw r.error("preferred_ip_protocol", "must be ip4 or ip6") }
            p.preferred = v
        }
        p.fallback = try r.bool("ip_protocol_fallback") ?? true
        return p
    }

    static func regex(_ r: StrictYAMLReader, _ key: String, _ pattern: String) throws(PositionedError) -> SearchRegex {
        do { return try SearchRegex(pattern) } catch {
            throw r.error(key, "invalid regular expression: \(error.reason)")
        }
    }

    static func regexes(_ r: StrictYAMLReader, _ key: String) throws(PositionedError) -> [SearchRegex] {
        var out: [SearchRegex] = []
        for item in try r.stringItems(key) ?? [] {
            do { out.append(try SearchRegex(item.value)) } catch {
                throw r.error(item.node, item.path, "invalid regular expression: \(error.reason)")
            }
        }
        return out
    }

    static func headerMatches(_ r: StrictYAMLReader, _ key: String) throws(PositionedError) -> [HeaderMatch] {
        var out: [HeaderMatch] = []
        for item in try r.sequence(key) ?? [] {
            let m = try StrictYAMLReader(item.node, path: item.path, context: r.context)
            let header = try m.requiredString("header")
            let pattern = try m.requiredString("regexp")
            out.append(HeaderMatch(header: header, regexp: try regex(m, "regexp", pattern), allowMissing: try m.bool("allow_missing") ?? false))
            try m.finish()
        }
        return out
    }

    // MARK: - check-config

    static func render(_ o: ProbeOptions) -> [String] {
        var lines = ["prober: \(o.prober.rawValue)", "target: \(quote(Redaction.url(o.target)))"]
        switch o.prober {
        case .http:
            let h = o.http
            lines.append("http:")
            lines.append("  method: \(h.method)")
            lines.append("  valid_status_codes: [\(h.validStatusCodes.map(String.init).joined(separator: ", "))]   # empty: 2xx")
            if !h.validHTTPVersions.isEmpty { lines.append("  valid_http_versions: [\(h.validHTTPVersions.joined(separator: ", "))]") }
            if !h.headers.isEmpty {
                lines.append("  headers: {\(h.headers.map { "\(quote($0.name)): \(isSensitive($0.name) ? Redaction.mask : quote($0.value))" }.joined(separator: ", "))}")
            }
            if !h.body.isEmpty { lines.append("  body: <\(h.body.utf8.count) bytes>") }
            lines.append("  follow_redirects: \(h.followRedirects)")
            lines.append("  fail_if_ssl: \(h.failIfSSL)")
            lines.append("  fail_if_not_ssl: \(h.failIfNotSSL)")
            for (key, list) in [("fail_if_body_matches_regexp", h.failIfBodyMatches), ("fail_if_body_not_matches_regexp", h.failIfBodyNotMatches)] where !list.isEmpty {
                lines.append("  \(key): [\(list.map { quote($0.pattern) }.joined(separator: ", "))]")
            }
            for (key, list) in [("fail_if_header_matches", h.failIfHeaderMatches), ("fail_if_header_not_matches", h.failIfHeaderNotMatches)] where !list.isEmpty {
                lines.append("  \(key):")
                for m in list { lines.append("    - {header: \(quote(m.header)), regexp: \(quote(m.regexp.pattern)), allow_missing: \(m.allowMissing)}") }
            }
            lines += renderTLS(h.tls, indent: "  ")
            if let p = h.proxyURL { lines.append("  proxy_url: \(quote(Redaction.url(p)))") }
            lines.append("  preferred_ip_protocol: \(h.ipProtocol.preferred)")
            lines.append("  ip_protocol_fallback: \(h.ipProtocol.fallback)")
            lines.append("  body_size_limit: \(h.bodySizeLimit)")
        case .tcp:
            let t = o.tcp
            lines.append("tcp:")
            lines.append("  tls: \(t.tls)")
            if t.tls { lines += renderTLS(t.tlsConfig, indent: "  ") }
            if !t.queryResponse.isEmpty {
                lines.append("  query_response:")
                for q in t.queryResponse {
                    var parts: [String] = []
                    if let e = q.expect { parts.append("expect: \(quote(e.pattern))") }
                    if let s = q.send { parts.append("send: \(quote(s))") }
                    lines.append("    - {\(parts.joined(separator: ", "))}")
                }
            }
            lines.append("  preferred_ip_protocol: \(t.ipProtocol.preferred)")
            lines.append("  ip_protocol_fallback: \(t.ipProtocol.fallback)")
        }
        return lines
    }

    static func renderTLS(_ t: TLSOptions, indent: String) -> [String] {
        t == TLSOptions() ? [] : [indent + t.rendered]
    }

    /// Headers whose values are credentials.
    static func isSensitive(_ name: String) -> Bool {
        ["authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token"].contains(name.lowercased())
    }
}
