public import VigilCore
import HTTPClient
public import Foundation
public import Yams
import Rules

extension NotifyConfig {
    /// Parses a YAML document whose top level is the notification section (the keys of
    /// Alertmanager's file we support). Errors name `file`, line, column and key path.
    public static func parse(
        yaml: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: String = "."
    ) throws(PositionedError) -> NotifyConfig {
        // The shared strict composer: positioned syntax errors, control characters and
        // expensive keys refused before Yams sees them.
        let node = try StrictYAMLContext(file: file, environment: environment, baseDirectory: baseDirectory).root(yaml)
        guard let node else { throw PositionedError(file: file, line: 0, column: 0, field: "", message: "empty document") }
        return try parse(node: node, path: "", file: file, environment: environment, baseDirectory: baseDirectory)
    }

    /// Parses an already composed node (e.g. the `alerting:` section of Vigil's file, with
    /// `path` "alerting" so errors read `alerting.route.receiver`).
    public static func parse(
        node: Node, path: String, file: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        baseDirectory: String = "."
    ) throws(PositionedError) -> NotifyConfig {
        let source = StrictYAMLContext(file: file, environment: environment, baseDirectory: baseDirectory)
        let top = try StrictYAMLReader(node, path: path, context: source)

        var receivers: [Receiver] = []
        var receiverNodes: [String: Node] = [:]
        for item in try top.sequence("receivers") ?? [] {
            let r = try StrictYAMLReader(item.node, path: item.path, context: source)
            let receiver = try readReceiver(r)
            guard receiverNodes[receiver.name] == nil else {
                throw r.error("name", "receiver \"\(receiver.name)\" is defined twice")
            }
            receiverNodes[receiver.name] = item.node
            receivers.append(receiver)
        }

        guard let routeReader = try top.mapping("route") else { throw top.error("route", "a route is required") }
        var route = try readRoute(routeReader, parent: nil, known: Set(receiverNodes.keys))
        route.assignIDs(from: "0")

        var inhibit: [InhibitRule] = []
        for item in try top.sequence("inhibit_rules") ?? [] {
            let r = try StrictYAMLReader(item.node, path: item.path, context: source)
            let sources = try matchers(r, "source_matchers")
            let targets = try matchers(r, "target_matchers")
            guard !targets.isEmpty else { throw r.error("target_matchers", "at least one target matcher is required") }
            let equal = try r.stringList("equal") ?? []
            try r.finish()
            inhibit.append(InhibitRule(sourceMatchers: sources, targetMatchers: targets, equal: equal))
        }

        var delivery = DeliverySettings()
        if let d = try top.mapping("delivery") {
            delivery.maxAge = try d.seconds("max_age", range: NotifyLimits.maxAge) ?? delivery.maxAge
            delivery.initialBackoff = try d.seconds("initial_backoff", range: NotifyLimits.initialBackoff) ?? delivery.initialBackoff
            delivery.maxBackoff = try d.seconds("max_backoff", range: NotifyLimits.maxBackoff) ?? delivery.maxBackoff
            delivery.concurrency = try d.int("concurrency", range: NotifyLimits.concurrency) ?? delivery.concurrency
            guard delivery.maxBackoff >= delivery.initialBackoff else {
                throw d.error("max_backoff", "must not be less than initial_backoff")
            }
            try d.finish()
        }
        try top.finish()
        return NotifyConfig(route: route, receivers: receivers, inhibitRules: inhibit, delivery: delivery)
    }

    private static func matchers(_ r: StrictYAMLReader, _ key: String) throws(PositionedError) -> [Matcher] {
        var out: [Matcher] = []
        for (text, node, path) in try r.stringItems(key) ?? [] {
            do {
                out += try MatcherParser.parse(text)
            } catch {
                throw r.context.error(node, path, error.description)
            }
        }
        return out
    }

    private static func readRoute(_ r: StrictYAMLReader, parent: Route?, known: Set<String>) throws(PositionedError) -> Route {
        let receiver = try r.string("receiver") ?? parent?.receiver
        guard let receiver else { throw r.error("receiver", "the root route needs a receiver") }
        guard known.contains(receiver) else { throw r.error("receiver", "unknown receiver \"\(receiver)\"") }
        let ms = try matchers(r, "matchers")
        if parent == nil, !ms.isEmpty { throw r.error("matchers", "the root route must not have matchers") }
        var groupBy = parent?.groupBy ?? .labels([])
        if let names = try r.stringItems("group_by") {
            if names.contains(where: { $0.0 == "..." }) {
                guard names.count == 1 else { throw r.error("group_by", "'...' must be the only element") }
                groupBy = .all
            } else {
                var seen: Set<String> = []
                for (name, node, path) in names {
                    guard isLabelName(name) else { throw r.context.error(node, path, "invalid label name \"\(name)\"") }
                    guard seen.insert(name).inserted else { throw r.context.error(node, path, "duplicate label \"\(name)\"") }
                }
                groupBy = .labels(names.map(\.0))
            }
        }
        let groupWait = try r.seconds("group_wait", range: NotifyLimits.groupWait) ?? parent?.groupWait ?? 30
        let groupInterval = try r.seconds("group_interval", range: NotifyLimits.groupInterval) ?? parent?.groupInterval ?? 300
        let repeatInterval = try r.seconds("repeat_interval", range: NotifyLimits.repeatInterval) ?? parent?.repeatInterval ?? 4 * 3600
        let cont = try r.bool("continue") ?? false
        if parent == nil, cont { throw r.error("continue", "the root route must not have continue") }
        let key = (parent.map { $0.key + "/" } ?? "") + Matcher.listDescription(ms)
        var route = Route(receiver: receiver, matchers: ms, groupBy: groupBy, groupWait: groupWait,
                          groupInterval: groupInterval, repeatInterval: repeatInterval, continue: cont, key: key)
        var children: [Route] = []
        for item in try r.sequence("routes") ?? [] {
            let child = try StrictYAMLReader(item.node, path: item.path, context: r.context)
            children.append(try readRoute(child, parent: route, known: known))
        }
        route.routes = children
        try r.finish()
        return route
    }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    private static func readReceiver(_ r: StrictYAMLReader) throws(PositionedError) -> Receiver {
        guard let name = try r.string("name"), !name.isEmpty else { throw r.error("name", "a receiver needs a name") }
        var integrations: [Integration] = []
        let kinds: [(String, Integration.Kind)] = [
            ("webhook_configs", .webhook), ("slack_configs", .slack), ("pagerduty_configs", .pagerduty),
            ("discord_configs", .discord), ("msteams_configs", .msteams), ("msteamsv2_configs", .msteams),
            ("alertmanager_configs", .alertmanager),
        ]
        for (key, kind) in kinds {
            for item in try r.sequence(key) ?? [] {
                let c = try StrictYAMLReader(item.node, path: item.path, context: r.context)
                let index = integrations.filter { $0.kind == kind }.count
                integrations.append(try readIntegration(c, kind: kind, index: index, receiver: name))
            }
        }
        try r.finish()
        return Receiver(name: name, integrations: integrations)
    }

    /// A text override, parsed now so a bad template fails the configuration, not a page.
    private static func template(_ c: StrictYAMLReader, _ key: String) throws(PositionedError) -> Template? {
        guard let text = try c.string(key) else { return nil }
        do {
            return try Template(text)
        } catch {
            throw c.error(key, "invalid template: \(error)")
        }
    }

    private static func readIntegration(_ c: StrictYAMLReader, kind: Integration.Kind, index: Int,
                                        receiver: String) throws(PositionedError) -> Integration {
        let urlKey: String
        switch kind {
        case .webhook, .alertmanager: urlKey = "url"
        case .slack: urlKey = "api_url"
        case .pagerduty: urlKey = "url"
        case .discord, .msteams: urlKey = "webhook_url"
        }
        var url = try c.secret(urlKey)
        if kind == .pagerduty, url == nil { url = "https://events.pagerduty.com/v2/enqueue" }
        guard let url else { throw c.error(urlKey, "\(urlKey) (or \(urlKey)_file) is required") }
        if let problem = urlProblem(url) {
            // The URL may be a secret (userinfo, query tokens, and for Slack, Discord and Teams
            // the whole path): the message names it and does not repeat it.
            throw c.error(urlKey, "the \(urlKey) of receiver \(receiver) is not a valid URL: \(problem)")
        }
        var integration = Integration(kind: kind, index: index, url: url)
        integration.sendResolved = try c.bool("send_resolved") ?? true
        switch kind {
        case .slack, .discord, .msteams:
            integration.titleTemplate = try template(c, "title")
            integration.textTemplate = try template(c, "text")
        case .pagerduty:
            integration.textTemplate = try template(c, "description")
        case .webhook, .alertmanager:
            break
        }
        switch kind {
        case .webhook:
            integration.maxAlerts = try c.int("max_alerts", range: NotifyLimits.maxAlerts) ?? 0
        case .slack:
            integration.channel = try c.string("channel")
            integration.username = try c.string("username")
            integration.iconEmoji = try c.string("icon_emoji")
            integration.iconURL = try c.string("icon_url")
        case .pagerduty:
            guard let key = try c.secret("routing_key"), !key.isEmpty else {
                throw c.error("routing_key", "routing_key (or routing_key_file) is required (Events API v2)")
            }
            integration.routingKey = key
            integration.client = try c.string("client") ?? "Vigil"
            integration.clientURL = try c.string("client_url")
        case .discord, .msteams, .alertmanager:
            break
        }
        var http = HTTPSettings()
        http.timeout = try c.seconds("timeout", range: NotifyLimits.timeout) ?? 10
        if let h = try c.mapping("http_config") {
            try readHTTP(h, into: &http)
        }
        integration.http = http
        try c.finish()
        return integration
    }

    private static func readHTTP(_ h: StrictYAMLReader, into http: inout HTTPSettings) throws(PositionedError) {
        var auths: [HTTPSettings.Authorization] = []
        if let bearer = try h.secret("bearer_token") { auths.append(.bearer(bearer)) }
        if let a = try h.mapping("authorization") {
            let type = try a.string("type") ?? "Bearer"
            guard type.lowercased() == "bearer" else { throw a.error("type", "only the Bearer type is supported") }
            guard let credentials = try a.secret("credentials") else { throw a.error("credentials", "credentials (or credentials_file) is required") }
            try a.finish()
            auths.append(.bearer(credentials))
        }
        if let b = try h.mapping("basic_auth") {
            guard let user = try b.string("username") else { throw b.error("username", "username is required") }
            let password = try b.secret("password") ?? ""
            try b.finish()
            auths.append(.basic(username: user, password: password))
        }
        guard auths.count <= 1 else { throw h.error("basic_auth", "set at most one of bearer_token, authorization and basic_auth") }
        http.authorization = auths.first ?? .none
        for (name, value, _) in try h.stringMap("headers") ?? [] {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                throw h.error("headers", "invalid header name \"\(name)\"")
            }
            guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 }) else {
                throw h.error("headers", "header \(name): value must not contain line breaks")
            }
            let reserved = ["content-type", "content-length", "authorization", "host", NotifyDelivery.idempotencyHeader.lowercased()]
            guard !reserved.contains(name.lowercased()) else { throw h.error("headers", "header \(name) is set by Vigil") }
            http.headers.append(HTTPHeader(name, value))
        }
        http.tls = try h.tlsConfig("tls_config") ?? http.tls
        http.proxyURL = try h.proxyURL("proxy_url")
        if let s = try h.mapping("signature") {
            guard let secret = try s.secret("secret"), !secret.isEmpty else { throw s.error("secret", "secret (or secret_file) is required") }
            http.signatureSecret = secret
            http.signatureHeader = try s.string("header") ?? http.signatureHeader
            try s.finish()
        }
        try h.finish()
    }

    /// Why `s` is not an absolute http(s) URL a request can be sent to, or nil. Strict: ASCII
    /// only, no spaces or control characters, a host of URL characters, a port from 1 to 65535.
    /// The reason never quotes any part of the URL.
    static func urlProblem(_ s: String) -> String? {
        guard !s.isEmpty else { return "it is empty" }
        guard s.unicodeScalars.allSatisfy({ $0.value > 32 && $0.value < 127 }) else {
            return "it holds a space, a control character or a non-ASCII character (percent-encode them)"
        }
        guard let schemeEnd = s.range(of: "://") else { return "it must start with http:// or https://" }
        let scheme = s[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return "the scheme must be http or https" }
        let rest = s[schemeEnd.upperBound...]
        var authority = rest[..<(rest.firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex)]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = authority
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return "its IPv6 host has no closing ]" }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return "unexpected text after its IPv6 host" }
                port = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "%" }) else {
                return "its IPv6 host is not valid"
            }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                port = authority[authority.index(after: colon)...]
            }
            guard !host.isEmpty else { return "it has no host" }
            guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._~%".contains($0) }) else {
                return "its host holds characters a host name cannot have"
            }
        }
        if let port {
            guard !port.isEmpty, port.count <= 5, port.allSatisfy(\.isNumber), let n = Int(port), (1...65535).contains(n) else {
                return "its port is not a number from 1 to 65535"
            }
        }
        guard let u = URL(string: s), u.host != nil else { return "it does not parse as a URL" }
        return nil
    }
}
