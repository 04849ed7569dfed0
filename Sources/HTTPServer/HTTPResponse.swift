/// A complete HTTP response. The server copies the body into libmicrohttpd, sets
/// `Content-Length` itself and omits the body for HEAD requests.
public struct HTTPResponse: Sendable {
    /// Status code, 100...999; anything else is sent as 500.
    public var status: Int
    /// Response headers in order. `Content-Length`, `Transfer-Encoding` and `Connection`
    /// are managed by the server and ignored here; headers whose name or value contains
    /// a control character are dropped.
    public var headers: [(String, String)]
    /// The body's bytes (a copy of them when the body is shared; setting them unshares it).
    public var body: [UInt8] {
        get { shared?.bytes ?? plain }
        set {
            plain = newValue
            shared = nil
        }
    }
    private var plain: [UInt8]
    /// Set when the body is sent from memory shared with other responses, without a copy.
    public private(set) var shared: SharedBody?

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.plain = body
    }

    /// A response whose body libmicrohttpd sends straight from `shared` (no copy per request).
    public init(status: Int, headers: [(String, String)] = [], shared: SharedBody) {
        self.status = status
        self.headers = headers
        self.plain = []
        self.shared = shared
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
