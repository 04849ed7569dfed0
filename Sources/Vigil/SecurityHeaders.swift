import HTTPServer

/// The headers that keep a browser from reading Vigil's answers as something else.
/// Every response carries `X-Content-Type-Options: nosniff` (set on the server, with the web
/// configuration file's `http_server_config.headers`; a file that sets its own value keeps
/// it). Prometheus and the exporters send none of these; a scraper ignores them. HTML pages
/// (the status page) also carry `page`: a Content-Security-Policy that allows only Vigil's own
/// stylesheet and script (no inline code, no frames, no other origin), no referrer, no framing.
/// A response's own header wins over the file's, so the page keeps this policy.
enum SecurityHeaders {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// On every response.
    static let common: [(String, String)] = [("X-Content-Type-Options", "nosniff")]

    /// On every HTML page, beside its Content-Type.
    static let page: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
    ]

    /// What the server adds to every response: the web configuration file's headers in file
    /// order, then `common` where the file does not set the same header.
    static func everyResponse(_ configured: [WebConfigFile.Header]) -> [(String, String)] {
        let named = Set(configured.map { $0.name.lowercased() })
        return configured.map { ($0.name, $0.value) } + common.filter { !named.contains($0.0.lowercased()) }
    }
}
