/// The PromQL abstract syntax tree. Durations and timestamps are milliseconds.
public indirect enum Expr: Sendable, Hashable {
    case number(Double)
    case string(String)
    case vectorSelector(VectorSelector)
    case matrixSelector(VectorSelector, range: Int64)
    case subquery(Subquery)
    case paren(Expr)
    case unaryMinus(Expr)
    case binary(BinaryExpr)
    case aggregate(AggregateExpr)
    case call(FunctionCall)

    /// The type the expression evaluates to.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vectorSelector: .vector
        case .matrixSelector, .subquery: .matrix
        case .paren(let e), .unaryMinus(let e): e.type
        case .binary(let b): (b.lhs.type == .scalar && b.rhs.type == .scalar) ? .scalar : .vector
        case .aggregate: .vector
        case .call(let c): c.function.returnType
        }
    }

    /// Every selector in the expression with the extra look-back each one needs (range plus
    /// enclosing subquery ranges, plus offsets), in milliseconds. Used for history retention.
    public func lookbackNeeded(lookbackDelta: Int64) -> Int64 {
        func walk(_ e: Expr, _ outer: Int64) -> Int64 {
            switch e {
            case .number, .string: return 0
            case .vectorSelector(let s): return outer + max(0, ruleValue(s.offsetExpr, s.offset)) + lookbackDelta
            case .matrixSelector(let s, let range):
                return outer + max(0, ruleValue(s.offsetExpr, s.offset)) + max(0, ruleValue(s.rangeExpr, range))
            case .subquery(let s):
                return walk(s.expr, outer + max(0, ruleValue(s.rangeExpr, s.range)) + max(0, ruleValue(s.offsetExpr, s.offset)))
            case .paren(let x), .unaryMinus(let x): return walk(x, outer)
            case .binary(let b): return max(walk(b.lhs, outer), walk(b.rhs, outer))
            case .aggregate(let a): return max(walk(a.expr, outer), a.param.map { walk($0, outer) } ?? 0)
            case .call(let c): return c.args.map { walk($0, outer) }.max() ?? 0
            }
        }
        return walk(self, 0)
    }

    /// A duration as a rule (an instant query: step() and range() are 0) sees it; 0 if invalid.
    private func ruleValue(_ e: DurationExpr?, _ plain: Int64) -> Int64 {
        guard let e else { return plain }
        return (try? e.milliseconds(step: 0, range: 0, allowNegative: true)) ?? 0
    }
}

/// `@` modifier of a selector or subquery.
public enum AtModifier: Sendable, Hashable {
    case timestamp(Int64)
    case start
    case end
}

/// `name{matchers} offset d @ t`.
public struct VectorSelector: Sendable, Hashable {
    public var name: String?
    /// All matchers, including the `__name__` equality matcher derived from `name`.
    public var matchers: [LabelMatcher]
    public var offset: Int64 = 0
    public var at: AtModifier?
    /// An offset that depends on the query (`offset step()`); replaces `offset` when set.
    public var offsetExpr: DurationExpr?
    /// The range of a matrix selector that depends on the query (`x[step()]`); replaces its range.
    public var rangeExpr: DurationExpr?
}

/// `expr[range:step] offset d @ t`. A step of 0 means the evaluation interval.
public struct Subquery: Sendable, Hashable {
    public var expr: Expr
    public var range: Int64
    public var step: Int64
    public var offset: Int64 = 0
    public var at: AtModifier?
    /// Range, step and offset that depend on the query (`step()`, `range()`); replace the
    /// plain values when set.
    public var rangeExpr: DurationExpr?
    public var stepExpr: DurationExpr?
    public var offsetExpr: DurationExpr?
}

/// Vector matching of a binary operation.
public struct VectorMatching: Sendable, Hashable {
    public enum Cardinality: Sendable, Hashable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality = .oneToOne
    /// The labels of `on(…)`/`ignoring(…)`.
    public var labels: [String] = []
    /// True for `on`, false for `ignoring` (and for no clause: ignoring nothing).
    public var on = false
    /// The labels of `group_left(…)`/`group_right(…)` copied from the "one" side.
    public var include: [String] = []
}

public struct BinaryExpr: Sendable, Hashable {
    public var op: BinaryOp
    public var lhs: Expr
    public var rhs: Expr
    public var returnBool = false
    /// Present when both sides are instant vectors.
    public var matching: VectorMatching?
}

public struct AggregateExpr: Sendable, Hashable {
    public var op: AggregationOp
    public var expr: Expr
    public var param: Expr?
    public var grouping: [String] = []
    public var without = false
}

public struct FunctionCall: Sendable, Hashable {
    public var function: PromFunction
    public var args: [Expr]
}
