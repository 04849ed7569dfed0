import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// HTTP(S) with URLSession (libcurl on Linux): system CA store, proxies from the environment
/// (`http_proxy`, `https_proxy`, `no_proxy`, honoured by libcurl), per-attempt timeouts,
/// no cookies, no cache. Errors are reported by class only, never with the URL.
///
/// A per-integration CA file is not possible with URLSession on Linux (no server-trust
/// challenge reaches the delegate); swift-corelibs-foundation only reads a process-wide CA
/// bundle from the `URLSessionCertificateAuthorityInfoFile` environment variable.
public final class URLSessionTransport: HTTPTransport {
    /// One session (connection pool) per pool key.
    private let sessions = Mutex<[String: URLSession]>([:])

    public init() {}

    deinit { sessions.withLock { for s in $0.values { s.finishTasksAndInvalidate() } } }

    private func session(for key: String) -> URLSession {
        sessions.withLock { all in
            if let s = all[key] { return s }
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpCookieAcceptPolicy = .never
            configuration.httpShouldSetCookies = false
            configuration.urlCache = nil
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            configuration.httpMaximumConnectionsPerHost = 16
            let s = URLSession(configuration: configuration)
            all[key] = s
            return s
        }
    }

    /// Runs detached from the caller's task: cancelling a task that awaits
    /// `URLSession.data(for:)` deadlocks swift-corelibs-foundation 6.3 (the cancellation
    /// handler syncs onto the session queue while that queue resumes the task). The attempt
    /// ends by its own timeout instead.
    public func send(_ request: OutgoingRequest) async -> TransportResult {
        let session = session(for: request.poolKey)
        return await Task.detached { await Self.perform(request, session: session) }.value
    }

    private static func perform(_ request: OutgoingRequest, session: URLSession) async -> TransportResult {
        guard let url = URL(string: request.url) else { return .failure("invalid URL") }
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: request.timeout)
        r.httpMethod = request.method
        for h in request.headers { r.setValue(h.value, forHTTPHeaderField: h.name) }
        r.httpBody = request.body
        do {
            let (_, response) = try await session.data(for: r)
            guard let http = response as? HTTPURLResponse else { return .failure("not an HTTP response") }
            var headers: [String: String] = [:]
            for (k, v) in http.allHeaderFields {
                if let k = k as? String, let v = v as? String { headers[k.lowercased()] = v }
            }
            return .response(status: http.statusCode, headers: headers)
        } catch let error as URLError {
            return .failure(Self.describe(error.code))
        } catch {
            return .failure("request failed")
        }
    }

    /// A URL-free description of a URLSession failure.
    static func describe(_ code: URLError.Code) -> String {
        switch code {
        case .timedOut: "timed out"
        case .cannotConnectToHost: "connection refused"
        case .cannotFindHost, .dnsLookupFailed: "host not found"
        case .networkConnectionLost: "connection lost"
        case .notConnectedToInternet: "network unreachable"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
             .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            "TLS failure"
        case .badServerResponse: "bad server response"
        case .cancelled: "cancelled"
        default: "request failed (URLError \(code.rawValue))"
        }
    }
}
