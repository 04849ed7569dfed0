public import Foundation
import HTTPClient
public import VigilCore

/// One HTTP request of a delivery attempt.
public struct OutgoingRequest: Sendable {
    public var url: String
    public var method: String
    public var headers: [HTTPHeader]
    public var body: Data
    /// Seconds for the whole attempt.
    public var timeout: Double
    /// Requests with different pool keys share no connections (one pool per integration, so a
    /// receiver holding connections cannot starve another on the same host).
    public var poolKey: String
    public var tls: TLSOptions
    /// nil: proxies from the environment.
    public var proxyURL: String?

    public init(url: String, method: String = "POST", headers: [HTTPHeader], body: Data, timeout: Double, poolKey: String = "",
                tls: TLSOptions = TLSOptions(), proxyURL: String? = nil) {
        self.url = url
        self.tls = tls
        self.proxyURL = proxyURL
        self.poolKey = poolKey
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// The outcome of one attempt: an HTTP answer, or a failure described without the URL.
public enum TransportResult: Sendable, Hashable {
    /// Status and headers (names lowercased).
    case response(status: Int, headers: [String: String])
    case failure(String)
}

/// Sends one request. The libcurl implementation is `CurlTransport`; tests may use their own.
public protocol HTTPTransport: Sendable {
    func send(_ request: OutgoingRequest) async -> TransportResult
}
