/// A runtime error of PromQL evaluation, worded as Prometheus words it.
public struct EvalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for callers that answer differently (the HTTP API: 503 for a timeout,
    /// 422 for everything else, as Prometheus does).
    public enum Kind: Sendable, Hashable {
        /// The expression cannot be evaluated (types, matching, functions, …).
        case execution
        /// The evaluation passed its deadline (`EvalLimits.deadline`).
        case timeout
        /// The evaluation would load more samples than `EvalLimits.maxSamples`.
        case tooManySamples
        /// The evaluation was cancelled (`EvalLimits.cancel()`).
        case canceled
    }

    public let message: String
    public let kind: Kind

    public init(_ message: String, kind: Kind = .execution) {
        self.message = message
        self.kind = kind
    }

    public var description: String { message }

    /// Prometheus' `ErrQueryTimeout`: "query timed out in expression evaluation".
    public static func timedOut(in environment: String) -> EvalError {
        EvalError("query timed out in \(environment)", kind: .timeout)
    }

    /// Prometheus' `ErrTooManySamples`.
    public static func tooManySamples(in environment: String) -> EvalError {
        EvalError("query processing would load too many samples into memory in \(environment)", kind: .tooManySamples)
    }

    /// Prometheus' `ErrQueryCanceled`.
    public static func canceled(in environment: String) -> EvalError {
        EvalError("query was canceled in \(environment)", kind: .canceled)
    }
}
