/// A complete HTTP response. The server copies the body into libmicrohttpd, sets
/// `Content-Length` itself and omits the body for HEAD requests.
public struct HTTPResponse: Sendable {
    /// Status code, 100...999; anything else is sent as 500.
    public var status: Int
    /// Response headers in order. `Content-Length`, `Transfer-Encoding` and `Connection`
    /// are managed by the server and ignored here; headers whose name or value contains
    /// a control character are dropped.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(status: Int = 200, _ string: String, headers: [(String, String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: Array(string.utf8)
        )
    }

    /// A response with the given bytes and content type.
    public static func bytes(
        status: Int = 200,
        _ body: [UInt8],
        contentType: String,
        headers: [(String, String)] = []
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)] + headers, body: body)
    }

    /// The value of the first header with this name (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }
}
