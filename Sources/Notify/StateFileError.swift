/// A state-directory file that could not be written, read or removed.
public struct StateFileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
