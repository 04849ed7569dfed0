public import HTTPClient
public import VigilCore
public import Rules

/// One `probes:` item: a blackbox_exporter module and its target in one.
public struct ProbeOptions: Sendable, Hashable {
    public enum Prober: String, Sendable, Hashable { case http, tcp }

    public var name: String
    public var prober: Prober
    /// A URL (`http`; `http://` is put before one without a scheme) or `host:port` (`tcp`).
    public var target: String
    public var http: HTTPProbeOptions
    public var tcp: TCPProbeOptions
}

/// `preferred_ip_protocol` and `ip_protocol_fallback`.
public struct IPProtocolPreference: Sendable, Hashable {
    public var preferred: String = "ip6"
    public var fallback: Bool = true

    /// libcurl's address-family choice: only the preferred family without fallback, else both
    /// (libcurl's happy eyeballs picks the first that connects).
    var resolve: IPResolve {
        guard !fallback else { return .any }
        return preferred == "ip4" ? .v4 : .v6
    }
}

/// One `fail_if_header_matches` / `fail_if_header_not_matches` item.
public struct HeaderMatch: Sendable, Hashable {
    public var header: String
    public var regexp: SearchRegex
    public var allowMissing: Bool
}

/// blackbox_exporter's `http` module keys (the supported subset).
public struct HTTPProbeOptions: Sendable, Hashable {
    /// Empty: any 2xx.
    public var validStatusCodes: [Int] = []
    /// `HTTP/1.1`, `HTTP/2.0`, as Go spells them; empty: any.
    public var validHTTPVersions: [String] = []
    public var method = "GET"
    public var headers: [HTTPClientHeader] = []
    public var body = ""
    public var failIfSSL = false
    public var failIfNotSSL = false
    public var failIfBodyMatches: [SearchRegex] = []
    public var failIfBodyNotMatches: [SearchRegex] = []
    public var failIfHeaderMatches: [HeaderMatch] = []
    public var failIfHeaderNotMatches: [HeaderMatch] = []
    public var tls = TLSOptions()
    public var proxyURL: String?
    public var followRedirects = true
    public var ipProtocol = IPProtocolPreference()
    /// A larger body fails the probe (blackbox's `body_size_limit`; here always bounded).
    public var bodySizeLimit = 16 << 20
}

/// One `query_response` step: wait for a line matching `expect` (if any), then send `send`
/// (with `${1}` references to the match's groups) and a newline.
public struct QueryResponse: Sendable, Hashable {
    public var expect: SearchRegex?
    public var send: String?
}

/// blackbox_exporter's `tcp` module keys (the supported subset).
public struct TCPProbeOptions: Sendable, Hashable {
    public var queryResponse: [QueryResponse] = []
    public var tls = false
    public var tlsConfig = TLSOptions()
    public var ipProtocol = IPProtocolPreference()
}
