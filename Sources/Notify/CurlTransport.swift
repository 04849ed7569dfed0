import Foundation
import HTTPClient

/// Sends notifications with `HTTPClient` (libcurl): per-integration TLS (`tls_config`) and
/// proxy (`proxy_url`; else `http_proxy`/`https_proxy`/`no_proxy` from the environment), the
/// attempt's timeout, at most 64 KiB of the receiver's answer read. Each attempt runs on a
/// thread of its own, and cancelling the delivery task aborts it. Failures are described by
/// class only, never with the URL.
public struct CurlTransport: HTTPTransport {
    public init() {}

    public func send(_ request: OutgoingRequest) async -> TransportResult {
        let r = HTTPClientRequest(method: request.method, url: request.url,
                                  headers: request.headers.map { HTTPClientHeader($0.name, $0.value) },
                                  body: Array(request.body), timeout: request.timeout, tls: request.tls,
                                  proxyURL: request.proxyURL, maxResponseBytes: 64 << 10)
        switch await HTTPClient.send(r) {
        case .success(let response):
            return .response(status: response.status, headers: response.headers)
        case .failure(let error) where error.kind == .tooLarge:
            // The status line and headers arrived; the answer's body does not matter.
            return .failure("receiver answered with an oversized body")
        case .failure(let error):
            return .failure(error.message)
        }
    }
}
