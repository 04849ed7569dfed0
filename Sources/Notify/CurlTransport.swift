import Foundation
import HTTPClient

/// Sends notifications with `HTTPClient` (libcurl): per-integration TLS (`tls_config`) and
/// proxy (`proxy_url`; else `http_proxy`/`https_proxy`/`no_proxy` from the environment), the
/// attempt's timeout, at most 64 KiB of the receiver's answer read (a longer body is cut
/// there and the answer kept: its status decides, so a 2xx with a large body is delivered,
/// not sent again). Each attempt runs on a
/// thread of its own, and cancelling the delivery task aborts it. Failures are described by
/// class only, never with the URL.
public struct CurlTransport: HTTPTransport {
    public init() {}

    /// The most of a receiver's answer body read.
    public static let maxResponseBytes = 64 << 10

    public func send(_ request: OutgoingRequest) async -> TransportResult {
        var r = HTTPClientRequest(method: request.method, url: request.url,
                                  headers: request.headers.map { HTTPClientHeader($0.name, $0.value) },
                                  body: Array(request.body), timeout: request.timeout, tls: request.tls,
                                  proxyURL: request.proxyURL, maxResponseBytes: Self.maxResponseBytes)
        r.truncateOversizedBody = true
        switch await HTTPClient.send(r) {
        case .success(let response):
            return .response(status: response.status, headers: response.headers)
        case .failure(let error):
            return .failure(error.message)
        }
    }
}
