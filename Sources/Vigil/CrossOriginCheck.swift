import Foundation
import HTTPServer

/// Refuses state-changing requests that a browser sent on behalf of another site (CSRF): the
/// status page's buttons make the silence API reachable from a browser that holds basic-auth
/// credentials, and a page elsewhere could otherwise post a silence with them (a cross-site
/// `text/plain` POST needs no CORS preflight). Browsers say where a request comes from:
/// `Sec-Fetch-Site` (cross-site / same-site vs same-origin / none), else `Origin`, compared with
/// `Host`. Clients that send neither (curl, amtool, `vigil silence`, Prometheus) are not affected.
/// The same rule as Go's `http.CrossOriginProtection`.
enum CrossOriginCheck {
    static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    /// The 403 answer for a cross-origin browser request with a state-changing method, else nil.
    static func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        guard !safeMethods.contains(request.method) else { return nil }
        if let site = request.header("sec-fetch-site")?.lowercased() {
            if site == "same-origin" || site == "none" { return nil }
            return forbidden
        }
        guard let origin = request.header("origin") else { return nil }
        guard let host = request.header("host"), let parsed = URLComponents(string: origin), let originHost = parsed.host else {
            return forbidden
        }
        let port = parsed.port.map { ":\($0)" } ?? ""
        return (originHost + port).lowercased() == host.lowercased() || ("[" + originHost + "]" + port).lowercased() == host.lowercased()
            ? nil : forbidden
    }

    static let forbidden = HTTPResponse.text(status: 403, "403 cross-origin request refused (Sec-Fetch-Site / Origin do not match this server)\n")
}
