import HTTPServer
import Notify

/// The HTTP adapter of Alertmanager's v2 silence API: `GET /api/v2/silences` (optional
/// `filter` of matchers), `POST /api/v2/silences`, `GET /api/v2/silence/{id}`,
/// `DELETE /api/v2/silence/{id}`, onto `SilenceAPI`'s functions.
extension SilenceAPI {
    static let collectionPath = "/api/v2/silences"
    static let itemPrefix = "/api/v2/silence/"

    /// Whether this API answers `path` (the router matches paths exactly; `/api/v2/silence/{id}`
    /// needs this prefix test).
    static func handles(path: String) -> Bool {
        path == collectionPath || (path.hasPrefix(itemPrefix) && path.count > itemPrefix.count)
    }

    /// Answers a request for one of this API's paths; nil for other paths.
    func handle(_ request: HTTPRequest) -> HTTPResponse? {
        let method = request.method.uppercased()
        if request.path == Self.collectionPath {
            switch method {
            case "GET", "HEAD": return Self.response(list(filter: request.query["filter"]))
            case "POST": return Self.response(create(request.body))
            default: return .text(status: 405, "405 method not allowed\n", headers: [("Allow", "GET, HEAD, POST")])
            }
        }
        guard Self.handles(path: request.path) else { return nil }
        let id = String(request.path.dropFirst(Self.itemPrefix.count))
        switch method {
        case "GET", "HEAD": return Self.response(get(id: id))
        case "DELETE": return Self.response(expire(id: id))
        default: return .text(status: 405, "405 method not allowed\n", headers: [("Allow", "DELETE, GET, HEAD")])
        }
    }

    private static func response(_ reply: Reply) -> HTTPResponse {
        reply.body.isEmpty ? HTTPResponse(status: reply.status)
            : .bytes(status: reply.status, reply.body, contentType: "application/json")
    }
}
