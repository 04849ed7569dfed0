/// One header of a request or response.
public struct HTTPClientHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// TLS settings of one request, as Prometheus' `tls_config` names them.
public struct TLSOptions: Sendable, Hashable {
    /// PEM bundle of the CAs that may sign the server's certificate (nil: the system store).
    public var caFile: String?
    /// Client certificate and key (PEM) for servers that ask for one.
    public var certFile: String?
    public var keyFile: String?
    /// The name the server's certificate must carry and the SNI sent, instead of the URL's host.
    public var serverName: String?
    /// Accepts any certificate. For tests and emergencies only.
    public var insecureSkipVerify: Bool
    /// The oldest protocol version accepted (nil: libcurl's default, TLS 1.2 on Debian 12).
    public var minVersion: TLSVersion?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, serverName: String? = nil,
                insecureSkipVerify: Bool = false, minVersion: TLSVersion? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.insecureSkipVerify = insecureSkipVerify
        self.minVersion = minVersion
    }
}

/// `min_version` values as Prometheus spells them.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable {
    case tls10 = "TLS10", tls11 = "TLS11", tls12 = "TLS12", tls13 = "TLS13"
}

/// One HTTP request: method, URL, headers, body and every bound it runs under.
public struct HTTPClientRequest: Sendable {
    public var method: String
    /// An `http://` or `https://` URL; other schemes are refused.
    public var url: String
    public var headers: [HTTPClientHeader]
    public var body: [UInt8]
    /// Seconds for the whole request (also bounded by the deadline passed to `perform`).
    public var timeout: Double
    public var tls: TLSOptions
    /// `http://`, `https://` or `socks5://` proxy; nil uses `http_proxy`/`https_proxy`/`no_proxy`
    /// from the environment, as libcurl does.
    public var proxyURL: String?
    /// A larger response body fails the request (`tooLarge`) without reading the rest.
    public var maxResponseBytes: Int
    public var followRedirects: Bool
    /// Sent as `Accept-Encoding` and decoded by libcurl (`""`: every encoding libcurl decodes);
    /// nil sends none and returns the body as it came.
    public var acceptEncoding: String?

    public init(method: String = "GET", url: String, headers: [HTTPClientHeader] = [], body: [UInt8] = [],
                timeout: Double = 10, tls: TLSOptions = TLSOptions(), proxyURL: String? = nil,
                maxResponseBytes: Int = 16 << 20, followRedirects: Bool = false, acceptEncoding: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.tls = tls
        self.proxyURL = proxyURL
        self.maxResponseBytes = maxResponseBytes
        self.followRedirects = followRedirects
        self.acceptEncoding = acceptEncoding
    }
}

/// The answer to a request.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    /// Header names lowercased; repeated headers joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]
    public var timings: PhaseTimings

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Where the time of a request went, in seconds, each phase on its own (blackbox_exporter's
/// `probe_http_duration_seconds{phase}`: resolve, connect, tls, processing, transfer).
public struct PhaseTimings: Sendable, Hashable {
    public var resolve: Double = 0
    public var connect: Double = 0
    public var tls: Double = 0
    /// From the request sent to the first response byte.
    public var processing: Double = 0
    /// From the first to the last response byte.
    public var transfer: Double = 0
    public var total: Double = 0

    public init() {}
}

/// Why a request failed. The message never holds the URL (a Slack or Discord URL is a secret).
public struct HTTPClientError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case invalidRequest = "invalid_request"
        case resolve, connect, tls, timeout
        case tooLarge = "too_large"
        case cancelled
        case protocolError = "protocol"
        case other
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
