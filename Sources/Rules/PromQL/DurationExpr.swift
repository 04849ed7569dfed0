import Foundation

/// A duration expression of Prometheus 3.x (`x[26m+4m]`, `x offset (1h - 5m)`, `x[step()]`):
/// arithmetic over numbers (seconds) and durations, `step()`, `range()`, `min_of`, `max_of`.
/// The parser folds expressions without `step()`/`range()` into plain milliseconds; only the
/// ones that depend on the query are kept in the tree and resolved by the evaluator.
public indirect enum DurationExpr: Sendable, Hashable {
    /// Seconds.
    case number(Double)
    /// A duration literal (`5m`), in milliseconds: rendered as written.
    case duration(Int64)
    /// The query's step (0 for an instant query).
    case step
    /// The query's range, end - start (0 for an instant query).
    case range
    case negate(DurationExpr)
    /// One of `+ - * / % ^`.
    case binary(BinaryOp, DurationExpr, DurationExpr)
    case minOf(DurationExpr, DurationExpr)
    case maxOf(DurationExpr, DurationExpr)

    /// True when the value does not depend on the query (no `step()`/`range()`).
    public var isConstant: Bool {
        switch self {
        case .number, .duration: true
        case .step, .range: false
        case .negate(let e): e.isConstant
        case .binary(_, let a, let b), .minOf(let a, let b), .maxOf(let a, let b): a.isConstant && b.isConstant
        }
    }

    /// The value in seconds, as Prometheus' durationVisitor computes it (Go's float arithmetic).
    public func seconds(step: Double, range: Double) throws(DurationError) -> Double {
        switch self {
        case .number(let v): return v
        case .duration(let ms): return Double(ms) / 1000
        case .step: return step
        case .range: return range
        case .negate(let e): return -(try e.seconds(step: step, range: range))
        case .minOf(let a, let b):
            let x = try a.seconds(step: step, range: range), y = try b.seconds(step: step, range: range)
            return (x.isNaN || y.isNaN) ? .nan : Swift.min(x, y)
        case .maxOf(let a, let b):
            let x = try a.seconds(step: step, range: range), y = try b.seconds(step: step, range: range)
            return (x.isNaN || y.isNaN) ? .nan : Swift.max(x, y)
        case .binary(let op, let a, let b):
            let x = try a.seconds(step: step, range: range), y = try b.seconds(step: step, range: range)
            switch op {
            case .add: return x + y
            case .sub: return x - y
            case .mul: return x * y
            case .div:
                if y == 0 { throw DurationError("division by zero") }
                return x / y
            case .mod:
                if y == 0 { throw DurationError("modulo by zero") }
                return fmod(x, y)
            case .pow: return pow(x, y)
            default: throw DurationError("unexpected duration expression operator \"\(op.rawValue)\"")
            }
        }
    }

    /// Milliseconds of a computed duration, with Prometheus' checks (calculateDuration):
    /// finite, positive unless `allowNegative` (offsets), within Go's time.Duration.
    public func milliseconds(step: Double, range: Double, allowNegative: Bool) throws(DurationError) -> Int64 {
        try Self.milliseconds(seconds(step: step, range: range), allowNegative: allowNegative)
    }

    static func milliseconds(_ v: Double, allowNegative: Bool) throws(DurationError) -> Int64 {
        if v.isNaN || v.isInfinite { throw DurationError("duration is NaN or infinite") }
        if v <= 0, !allowNegative { throw DurationError("duration must be greater than 0") }
        if abs(v) > PromDurationParser.maxSeconds { throw DurationError("duration is out of range") }
        // Go: time.Duration(duration*1000) * time.Millisecond (the conversion truncates).
        return Int64((v * 1000).rounded(.towardZero))
    }

    /// Prometheus' rendering.
    public var description: String {
        switch self {
        case .number(let v): return Expr.formatNumber(v)
        case .duration(let ms): return ms < 0 ? "-" + Expr.duration(-ms) : Expr.duration(ms)
        case .step: return "step()"
        case .range: return "range()"
        case .negate(let e): return "-\(e.description)"
        case .binary(let op, let a, let b): return "(\(a.description) \(op.rawValue) \(b.description))"
        case .minOf(let a, let b): return "min_of(\(a.description), \(b.description))"
        case .maxOf(let a, let b): return "max_of(\(a.description), \(b.description))"
        }
    }
}

/// Why a duration expression has no valid value.
public struct DurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = message }
}
