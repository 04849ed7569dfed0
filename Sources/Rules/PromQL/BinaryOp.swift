/// The binary operators of PromQL with Prometheus' precedence.
public enum BinaryOp: String, Sendable, Hashable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    case and, or, unless
    /// Native-histogram trim operators (`h </ 0.5`, `h >/ 0.5`): over float samples they
    /// return nothing, as in Prometheus (which adds an info annotation).
    case trimUpper = "</", trimLower = ">/"

    /// Higher binds tighter: `or` < `and unless` < comparisons < `+ -` < `* / % atan2` < `^`.
    public var precedence: Int {
        switch self {
        case .or: 1
        case .and, .unless: 2
        case .eql, .neq, .gtr, .lss, .gte, .lte, .trimUpper, .trimLower: 3
        case .add, .sub: 4
        case .mul, .div, .mod, .atan2: 5
        case .pow: 6
        }
    }

    public var isRightAssociative: Bool { self == .pow }
    public var isComparison: Bool {
        switch self {
        case .eql, .neq, .gtr, .lss, .gte, .lte: true
        default: false
        }
    }

    public var isTrim: Bool { self == .trimUpper || self == .trimLower }
    public var isSetOperator: Bool { precedence <= 2 }
}
