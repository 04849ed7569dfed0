/// A runtime error of PromQL evaluation, worded as Prometheus words it.
public struct EvalError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
