/// A failure talking to Redis. The message never holds a password.
public struct RedisConnectionError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// Could not connect (refused, unreachable, name not resolved).
        case connect
        /// A read or write did not finish before the deadline.
        case timeout
        /// The connection broke (EOF, reset, protocol error).
        case io
        /// The server refused AUTH, SELECT or another setup command.
        case server
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
