import AppCollector
import Foundation
import HTTPClient
public import VigilCore

extension RemoteWriteConfig {
    /// The top-level `remote_write:` list (nil or empty: nothing is sent anywhere).
    public static func read(_ top: StrictYAMLReader) throws(PositionedError) -> [RemoteWriteConfig] {
        guard let items = try top.sequence("remote_write") else { return [] }
        var out: [RemoteWriteConfig] = []
        var names: Set<String> = []
        for item in items {
            let r = try StrictYAMLReader(item.node, path: item.path, context: top.context)
            let config = try readItem(r)
            guard names.insert(config.name).inserted else {
                throw r.error(r.has("name") ? "name" : "url", "another remote_write item has the name \"\(config.name)\"")
            }
            out.append(config)
        }
        return out
    }

    private static func readItem(_ r: StrictYAMLReader) throws(PositionedError) -> RemoteWriteConfig {
        let url = try r.requiredString("url")
        guard let u = URLComponents(string: url), let scheme = u.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = u.host, !host.isEmpty, u.port.map({ (1...65535).contains($0) }) ?? true else {
            throw r.error("url", "must be an http:// or https:// URL with a host")
        }
        let name = try r.string("name") ?? defaultName(url)
        guard !name.isEmpty, name.count <= 128, name.allSatisfy({ !$0.isNewline && $0 != "\"" }) else {
            throw r.error("name", "must be 1 to 128 characters without quotes or line breaks")
        }
        var c = RemoteWriteConfig(url: url, name: name)
        var identity = ["url=\(url)", "name=\(name)"]
        c.remoteTimeout = try r.seconds("remote_timeout", range: remoteTimeoutRange) ?? c.remoteTimeout
        for h in try r.stringMap("headers") ?? [] {
            let lower = h.key.lowercased()
            guard !h.key.isEmpty, h.key.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                throw r.error(h.node, r.childPath("headers") + "." + h.key, "invalid header name")
            }
            guard !h.value.contains(where: { $0.isNewline }) else {
                throw r.error(h.node, r.childPath("headers") + "." + h.key, "a header value cannot contain a line break")
            }
            // Prometheus refuses the same: they are the protocol's or the authentication's.
            let reserved = ["authorization", "host", "content-encoding", "content-type", "content-length",
                            "x-prometheus-remote-write-version", "user-agent", "connection"]
            guard !reserved.contains(lower) else {
                throw r.error(h.node, r.childPath("headers") + "." + h.key, "\(h.key) is set by Vigil and cannot be overridden")
            }
            c.headers.append(HTTPClientHeader(h.key, h.value))
            identity.append("header=\(h.key):\(h.value)")
        }
        if let b = try r.mapping("basic_auth") {
            guard let user = try b.string("username"), !user.isEmpty else { throw b.error("username", "basic_auth needs a username") }
            let password = try b.secret("password") ?? ""
            try b.finish()
            c.basicAuth = (user, password)
            identity.append("basic=\(user):\(password)")
        }
        if let a = try r.mapping("authorization") {
            let type = try a.string("type") ?? "Bearer"
            guard !type.isEmpty, type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                throw a.error("type", "must be an authorization scheme such as Bearer")
            }
            guard type.lowercased() != "basic" else { throw a.error("type", "use basic_auth for Basic authorization") }
            guard let credentials = try a.secret("credentials"), !credentials.isEmpty else {
                throw r.error("authorization", "credentials or credentials_file is required")
            }
            guard !credentials.contains(where: { $0.isNewline }) else {
                throw a.error("credentials", "credentials cannot contain a line break")
            }
            try a.finish()
            c.authorization = (type, credentials)
            identity.append("auth=\(type) \(credentials)")
        }
        if c.basicAuth != nil, c.authorization != nil {
            throw r.error("authorization", "set either basic_auth or authorization, not both")
        }
        c.tls = try r.tlsConfig("tls_config")
        if let t = c.tls { identity.append("tls=\(t)") }
        c.proxyURL = try r.proxyURL("proxy_url")
        identity.append("proxy=\(c.proxyURL ?? "")")
        var relabelLines: [String] = []
        for item in try r.sequence("write_relabel_configs") ?? [] {
            let reader = try StrictYAMLReader(item.node, path: item.path, context: r.context)
            let (rule, line) = try ScrapeKind.relabel(reader)
            c.writeRelabel.append(rule)
            relabelLines.append(line)
            identity.append("relabel=\(line)")
        }
        if let q = try r.mapping("queue_config") {
            c.queue.capacity = try q.int("capacity", range: Queue.capacityRange) ?? c.queue.capacity
            c.queue.maxSamplesPerSend = try q.int("max_samples_per_send", range: Queue.maxSamplesPerSendRange) ?? c.queue.maxSamplesPerSend
            c.queue.batchSendDeadline = try q.seconds("batch_send_deadline", range: Queue.deadlineRange) ?? c.queue.batchSendDeadline
            c.queue.minBackoff = try q.seconds("min_backoff", range: Queue.backoffRange) ?? c.queue.minBackoff
            c.queue.maxBackoff = try q.seconds("max_backoff", range: Queue.backoffRange) ?? c.queue.maxBackoff
            c.queue.retryOnHTTP429 = try q.bool("retry_on_http_429") ?? c.queue.retryOnHTTP429
            guard c.queue.minBackoff <= c.queue.maxBackoff else {
                throw q.error(q.has("min_backoff") ? "min_backoff" : "max_backoff",
                              "min_backoff (\(PromDuration.format(c.queue.minBackoff))) must not exceed max_backoff (\(PromDuration.format(c.queue.maxBackoff)))")
            }
            guard c.queue.maxSamplesPerSend <= c.queue.capacity else {
                throw q.error("max_samples_per_send", "must not exceed capacity (\(c.queue.capacity))")
            }
            try q.finish()
        }
        identity.append("queue=\(c.queue)")
        try r.finish()
        c.identity = identity
        c.rendered = render(c, relabel: relabelLines)
        return c
    }

    /// Prometheus names an unnamed remote by a hash of its configuration; here the first six
    /// hex digits of the URL's FNV-1a 64 hash (stable across restarts, no secret in it).
    static func defaultName(_ url: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in url.utf8 {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(String(h, radix: 16).suffix(6))
    }

    static func render(_ c: RemoteWriteConfig, relabel: [String]) -> [String] {
        func q(_ s: String) -> String { StrictYAMLReader.quote(s) }
        var lines = ["url: \(q(c.redactedURL))", "name: \(q(c.name))", "remote_timeout: \(PromDuration.format(c.remoteTimeout))"]
        if !c.headers.isEmpty {
            lines.append("headers: {\(c.headers.map { "\($0.name): \(Redaction.mask)" }.joined(separator: ", "))}")
        }
        if let b = c.basicAuth { lines.append("basic_auth: {username: \(q(b.username)), password: \(Redaction.mask)}") }
        if let a = c.authorization { lines.append("authorization: {type: \(q(a.type)), credentials: \(Redaction.mask)}") }
        if let t = c.tls { lines.append(t.rendered) }
        if let p = c.proxyURL { lines.append("proxy_url: \(q(Redaction.url(p)))") }
        let qc = c.queue
        lines.append("queue_config: {capacity: \(qc.capacity), max_samples_per_send: \(qc.maxSamplesPerSend), "
            + "batch_send_deadline: \(PromDuration.format(qc.batchSendDeadline)), min_backoff: \(PromDuration.format(qc.minBackoff)), "
            + "max_backoff: \(PromDuration.format(qc.maxBackoff)), retry_on_http_429: \(qc.retryOnHTTP429)}")
        lines.append(relabel.isEmpty ? "write_relabel_configs: []" : "write_relabel_configs:")
        lines += relabel.map { "  - \($0)" }
        return lines
    }
}
