public import VigilCore

/// One header of a request or response.
public struct HTTPClientHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
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
    /// Instead: a body past `maxResponseBytes` ends the transfer there (the rest is not read)
    /// and the answer is returned with its status, headers and the bytes kept, marked
    /// `bodyTruncated` — for callers that need the status, not the body (notifications: a 2xx
    /// with a large body is delivered, not an error to send again).
    public var truncateOversizedBody = false
    public var followRedirects: Bool
    /// Sent as `Accept-Encoding` and decoded by libcurl (`""`: every encoding libcurl decodes);
    /// nil sends none and returns the body as it came.
    public var acceptEncoding: String?
    /// Which address family the host name may resolve to.
    public var ipResolve: IPResolve
    /// Signs the request with AWS Signature Version 4 (libcurl's `CURLOPT_AWS_SIGV4`).
    public var sigV4: SigV4Credentials?

    public init(method: String = "GET", url: String, headers: [HTTPClientHeader] = [], body: [UInt8] = [],
                timeout: Double = 10, tls: TLSOptions = TLSOptions(), proxyURL: String? = nil,
                maxResponseBytes: Int = 16 << 20, followRedirects: Bool = false, acceptEncoding: String? = nil,
                ipResolve: IPResolve = .any, sigV4: SigV4Credentials? = nil) {
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
        self.ipResolve = ipResolve
        self.sigV4 = sigV4
    }
}

/// The answer to a request.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    /// Header names lowercased; repeated headers joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]
    public var timings: PhaseTimings
    /// `HTTP/1.0`, `HTTP/1.1`, `HTTP/2` or `HTTP/3`, as the last response spoke.
    public var httpVersion: String = ""
    /// Redirects followed.
    public var redirects: Int = 0
    /// The address connected to (last connection), e.g. `127.0.0.1` or `::1`.
    public var primaryIP: String?
    /// The `Content-Length` of the last response, nil when it sent none.
    public var contentLength: Int?
    /// The TLS session of the last response, nil over plain HTTP.
    public var tls: TLSSessionInfo?
    /// The body went past `maxResponseBytes` and was cut there (`truncateOversizedBody`).
    public var bodyTruncated = false

    public init(status: Int, headers: [String: String], body: [UInt8], timings: PhaseTimings) {
        self.status = status
        self.headers = headers
        self.body = body
        self.timings = timings
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// The address families a host name may resolve to (`CURLOPT_IPRESOLVE`).
public enum IPResolve: Sendable, Hashable {
    case any, v4, v6
}

/// AWS Signature Version 4 signing: libcurl's `aws:amz:<region>:<service>` provider with the
/// access key pair. The secret never appears in an error or description.
public struct SigV4Credentials: Sendable, Hashable, CustomStringConvertible {
    public var region: String
    public var service: String
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(region: String, service: String = "s3", accessKeyID: String, secretAccessKey: String) {
        self.region = region
        self.service = service
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    public var description: String { "SigV4(\(region)/\(service), key \(accessKeyID))" }
}

/// What a TLS session showed: the protocol version and the certificates' expiry (Unix seconds).
public struct TLSSessionInfo: Sendable, Hashable {
    /// OpenSSL's name: `TLSv1.2`, `TLSv1.3`.
    public var version: String
    /// The earliest `notAfter` among the certificates the server sent (nil: it sent none).
    public var earliestPeerExpiry: Double?
    /// The earliest `notAfter` in the chain verified up to the trust anchor (nil: not verified).
    public var verifiedChainExpiry: Double?

    public init(version: String, earliestPeerExpiry: Double?, verifiedChainExpiry: Double?) {
        self.version = version
        self.earliestPeerExpiry = earliestPeerExpiry
        self.verifiedChainExpiry = verifiedChainExpiry
    }

    /// The version as Go's crypto/tls names it (blackbox_exporter's `version` label): `TLS 1.3`.
    public var goName: String {
        switch version {
        case "TLSv1": "TLS 1.0"
        case "TLSv1.1": "TLS 1.1"
        case "TLSv1.2": "TLS 1.2"
        case "TLSv1.3": "TLS 1.3"
        default: "unknown"
        }
    }
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
