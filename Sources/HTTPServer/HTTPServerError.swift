/// Errors from starting an `HTTPServer`. Every message names the listen address.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The listen address does not parse.
    case invalidListenAddress(address: String, reason: String)
    /// Resolving, binding or listening failed (e.g. "Address already in use").
    case cannotListen(address: String, reason: String)
    /// libmicrohttpd refused to start on the bound socket.
    case daemonStartFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .invalidListenAddress(let address, let reason):
            "invalid listen address \"\(address)\": \(reason)"
        case .cannotListen(let address, let reason):
            "cannot listen on \(address): \(reason)"
        case .daemonStartFailed(let address, let reason):
            "cannot start the HTTP server on \(address): \(reason)"
        }
    }
}
