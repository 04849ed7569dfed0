/// A method + path table. Exact path match; `HEAD` is allowed wherever `GET` is (the server
/// drops the body). A known path with another method answers 405 with an `Allow` header;
/// an unknown path answers 404.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private var routes: [String: [String: Handler]] = [:]

    public init() {}

    /// Registers `handler` for `path` and each of `methods` (case-insensitive; stored uppercased).
    /// A later registration of the same path and method replaces the earlier one.
    public mutating func add(_ path: String, methods: [String] = ["GET"], handler: @escaping Handler) {
        var table = routes[path, default: [:]]
        for method in methods {
            let m = method.uppercased()
            table[m] = handler
        }
        routes[path] = table
    }

    /// Registers a GET (and so HEAD) handler.
    public mutating func get(_ path: String, handler: @escaping Handler) {
        add(path, methods: ["GET"], handler: handler)
    }

    /// Methods allowed on `path`, sorted, `HEAD` included wherever `GET` is; nil for an unknown path.
    public func allowedMethods(for path: String) -> [String]? {
        guard let table = routes[path] else { return nil }
        var methods = Set(table.keys)
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted()
    }

    /// Answers a request from the table.
    public func route(_ request: HTTPRequest) -> HTTPResponse {
        guard let table = routes[request.path] else {
            return .text(status: 404, "404 page not found\n")
        }
        let method = request.method.uppercased()
        if let handler = table[method] {
            return handler(request)
        }
        if method == "HEAD", let handler = table["GET"] {
            return handler(request)
        }
        let allow = (allowedMethods(for: request.path) ?? []).joined(separator: ", ")
        return .text(status: 405, "405 method not allowed\n", headers: [("Allow", allow)])
    }

    /// The table as a server handler.
    public var handler: Handler {
        let router = self
        return { router.route($0) }
    }
}
