/// A method + path table. Exact path match and exact, case-sensitive method match (RFC 9110:
/// `get` is not `GET`); `HEAD` is allowed wherever `GET` is (the server drops the body). A known
/// path with another method answers 405 with an `Allow` header, as Prometheus' router does; an
/// unknown path answers 404.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    /// A handler that may answer later (`HTTPReply.deferred`).
    public typealias ReplyHandler = @Sendable (HTTPRequest) -> HTTPReply

    private var routes: [String: [String: ReplyHandler]] = [:]

    public init() {}

    /// Registers `handler` for `path` and each of `methods` (written in any case; stored
    /// uppercased, so `["post"]` registers `POST`). A later registration of the same path and
    /// method replaces the earlier one.
    public mutating func add(_ path: String, methods: [String] = ["GET"], handler: @escaping Handler) {
        add(path, methods: methods, reply: { .now(handler($0)) })
    }

    /// Registers a handler that may defer its answer (see `HTTPReply.deferred`).
    public mutating func add(_ path: String, methods: [String] = ["GET"], reply: @escaping ReplyHandler) {
        var table = routes[path, default: [:]]
        for method in methods {
            table[method.uppercased()] = reply
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
    public func route(_ request: HTTPRequest) -> HTTPReply {
        guard let table = routes[request.path] else {
            return .now(.text(status: 404, "404 page not found\n"))
        }
        if let handler = table[request.method] {
            return handler(request)
        }
        if request.method == "HEAD", let handler = table["GET"] {
            return handler(request)
        }
        let allow = (allowedMethods(for: request.path) ?? []).joined(separator: ", ")
        return .now(.text(status: 405, "405 method not allowed\n", headers: [("Allow", allow)]))
    }

    /// The table as a server reply handler.
    public var handler: ReplyHandler {
        let router = self
        return { router.route($0) }
    }
}
