/// One HTTP request as the handler sees it. Built on libmicrohttpd's thread; holds no C pointers.
public struct HTTPRequest: Sendable {
    /// Request method as sent, e.g. `GET`, `HEAD`, `POST`.
    public let method: String
    /// Percent-decoded path without the query string, e.g. `/metrics`.
    public let path: String
    /// Query arguments (percent-decoded). A key repeated in the query keeps its first value;
    /// a key without `=` maps to the empty string.
    public let query: [String: String]
    /// Request headers keyed by lowercased name. Repeated headers are joined with ", ".
    public let headers: [String: String]
    /// The request body (empty for requests without one).
    public let body: [UInt8]

    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            if let existing = lowered[key] { lowered[key] = existing + ", " + value } else { lowered[key] = value }
        }
        self.headers = lowered
        self.body = body
    }

    /// Headers whose names are lowercased and repeats joined already (the server's collection).
    init(method: String, path: String, query: [String: String], loweredHeaders: [String: String], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = loweredHeaders
        self.body = body
    }

    /// The value of a header, looked up case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
