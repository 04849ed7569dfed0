import HTTPClient
public import VigilCore
public import Rules
/// One delivery target of a receiver: a service kind, its endpoint and its options. The URL
/// and keys are secrets: they appear in no log, metric or error (see `redactedHost`).
public struct Integration: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case webhook, slack, pagerduty, discord, msteams, alertmanager
    }

    public var kind: Kind
    /// Position among the receiver's integrations of this kind (0-based).
    public var index: Int
    /// The endpoint: the webhook URL (a secret for Slack, Discord and Teams), PagerDuty's events
    /// URL, or an Alertmanager's base URL (`/api/v2/alerts` is appended).
    public var url: String
    public var sendResolved: Bool
    public var http: HTTPSettings
    /// webhook: at most this many alerts per message (0: no limit; the rest is counted in
    /// `truncatedAlerts`).
    public var maxAlerts: Int
    /// slack: optional channel, username and icon overrides.
    public var channel: String?
    public var username: String?
    public var iconEmoji: String?
    public var iconURL: String?
    /// pagerduty: the integration (routing) key, a secret.
    public var routingKey: String?
    /// pagerduty: `client` and `client_url` shown in PagerDuty.
    public var client: String?
    public var clientURL: String?
    /// slack, discord, msteams: title and text overrides; pagerduty: `description` (the summary).
    /// Templates in the rule engine's language over Alertmanager's notification data
    /// (`.Status`, `.Alerts`, `.CommonLabels`, …). nil: Vigil's default texts.
    public var titleTemplate: Template?
    public var textTemplate: Template?

    public init(kind: Kind, index: Int = 0, url: String, sendResolved: Bool = true, http: HTTPSettings = HTTPSettings(),
                maxAlerts: Int = 0, channel: String? = nil, username: String? = nil, iconEmoji: String? = nil,
                iconURL: String? = nil, routingKey: String? = nil, client: String? = nil, clientURL: String? = nil) {
        self.kind = kind
        self.index = index
        self.url = url
        self.sendResolved = sendResolved
        self.http = http
        self.maxAlerts = maxAlerts
        self.channel = channel
        self.username = username
        self.iconEmoji = iconEmoji
        self.iconURL = iconURL
        self.routingKey = routingKey
        self.client = client
        self.clientURL = clientURL
    }

    /// Scheme and host of the URL only (no path, query or credentials): what logs may show.
    public var redactedHost: String { Self.redactedHost(url) }

    public static func redactedHost(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "<invalid url>" }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        return "\(url[..<schemeEnd.upperBound])\(host)"
    }
}

/// How requests to one integration are made.
public struct HTTPSettings: Sendable, Hashable {
    public enum Authorization: Sendable, Hashable {
        case none
        case bearer(String)
        case basic(username: String, password: String)
    }

    /// Extra request headers, in order.
    public var headers: [HTTPHeader]
    public var authorization: Authorization
    /// Per-attempt timeout in seconds.
    public var timeout: Double
    /// When set, the body's HMAC-SHA256 (hex) is sent in `signatureHeader`.
    public var signatureSecret: String?
    public var signatureHeader: String
    /// `tls_config`: CA, client certificate, server name, minimum version.
    public var tls: TLSOptions
    /// `proxy_url`; nil takes proxies from the environment.
    public var proxyURL: String?

    public init(headers: [HTTPHeader] = [], authorization: Authorization = .none, timeout: Double = 10,
                signatureSecret: String? = nil, signatureHeader: String = "X-Vigil-Signature",
                tls: TLSOptions = TLSOptions(), proxyURL: String? = nil) {
        self.tls = tls
        self.proxyURL = proxyURL
        self.headers = headers
        self.authorization = authorization
        self.timeout = timeout
        self.signatureSecret = signatureSecret
        self.signatureHeader = signatureHeader
    }
}

public struct HTTPHeader: Sendable, Hashable, Codable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Integration: CustomStringConvertible, CustomDebugStringConvertible {
    /// Kind, index and redacted host only: the URL and keys are secrets.
    public var description: String { "\(kind.rawValue)[\(index)] \(redactedHost)" }
    public var debugDescription: String { description }
}

extension HTTPSettings: CustomStringConvertible, CustomDebugStringConvertible {
    /// Header names and the auth kind only, never values or secrets.
    public var description: String {
        let auth = switch authorization {
        case .none: "none"
        case .bearer: "bearer"
        case .basic: "basic"
        }
        return "headers=\(headers.map(\.name)) auth=\(auth) timeout=\(timeout)s signed=\(signatureSecret != nil)"
    }
    public var debugDescription: String { description }
}
