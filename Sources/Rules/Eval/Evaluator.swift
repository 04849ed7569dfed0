/// Evaluates PromQL expressions against a `SeriesHistory` with Prometheus 3.x semantics:
/// 5-minute look-back for instant selectors, left-open ranges `(t - range, t]`, staleness,
/// vector matching, aggregation and the function library. Pure: time is an argument.
///
/// Prometheus 2.x selected ranges closed on the left (`[t - range, t]`); 3.x made them
/// left-open. A sample exactly on the left edge is therefore excluded here.
public struct Evaluator: Sendable {
    public let history: SeriesHistory
    public var lookbackDelta: Int64
    /// Step of subqueries written without one (`x[1h:]`): the evaluation interval.
    public var defaultSubqueryStep: Int64
    /// Start and end of the query, for `@ start()` / `@ end()`.
    var queryStart: Int64 = 0
    var queryEnd: Int64 = 0
    /// Step of a range query (0 for an instant query), for `step()` in duration expressions.
    var queryStep: Int64 = 0
    /// Deadline, sample budget and cancellation of an API query; nil (no limits) for rules.
    public var limits: EvalLimits?
    /// Prometheus before 3.9: a vector comparison filters its pairs before the vector-matching
    /// checks, so `many > on(x) one` errs only for pairs that survive. Only the differential test
    /// against promtool 2.42 sets it, to show that this order is the whole disagreement.
    var filterBeforeMatching = false

    public init(history: SeriesHistory, lookbackDelta: Int64 = PromQL.lookbackDelta, defaultSubqueryStep: Int64 = 60_000,
                limits: EvalLimits? = nil) {
        self.history = history
        self.lookbackDelta = lookbackDelta
        self.defaultSubqueryStep = defaultSubqueryStep
        self.limits = limits
    }

    /// Most steps a range query (Prometheus' limit) or one subquery may take (bounds CPU for `x[1y:1s]`).
    public static let maxSteps: Int64 = 11_000
    public static let maxSubquerySteps: Int64 = 100_000

    /// Evaluates `expr` at instant `t` (milliseconds).
    public func instant(_ expr: Expr, at t: Int64) throws(EvalError) -> Value {
        var e = self
        e.queryStart = t
        e.queryEnd = t
        try limits?.checkDeadline()
        return try e.eval(expr, t)
    }

    /// Evaluates `expr` at every step of `[start, end]`; the result is one series per label set.
    public func range(_ expr: Expr, start: Int64, end: Int64, step: Int64) throws(EvalError) -> [RangeSeries] {
        guard step > 0, end >= start else { throw EvalError("invalid range query: step must be positive and end not before start") }
        guard (end - start) / step < Int64(Self.maxSteps) else {
            throw EvalError("exceeded maximum resolution of \(Self.maxSteps) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        var e = self
        e.queryStart = start
        e.queryEnd = end
        e.queryStep = step
        try limits?.checkDeadline()
        var out: [LabelSet: [RangeSeries.Point]] = [:]
        var t = start
        while t <= end {
            try poll()
            switch try e.eval(expr, t) {
            case .scalar(let v): out[.empty, default: []].append(.init(t: t, v: v))
            case .vector(let vec):
                for s in vec { out[s.labels, default: []].append(.init(t: t, v: s.value)) }
            case .string, .matrix:
                throw EvalError("range queries need an expression of type scalar or instant vector")
            }
            t += step
        }
        return out.map { RangeSeries(labels: $0.key, points: $0.value) }.sorted { $0.labels < $1.labels }
    }

    // MARK: core

    /// Throws when the limits say stop (deadline, cancellation); free without limits.
    @inline(__always)
    func poll() throws(EvalError) {
        if let limits { try limits.poll() }
    }

    /// Counts samples against the budget (and polls); free without limits.
    @inline(__always)
    func charge(_ n: Int) throws(EvalError) {
        if let limits { try limits.charge(n) }
    }

    func eval(_ expr: Expr, _ t: Int64) throws(EvalError) -> Value {
        try poll()
        switch expr {
        case .number(let v): return .scalar(v)
        case .string(let s): return .string(s)
        case .paren(let e): return try eval(e, t)
        case .vectorSelector(let s): return .vector(try selectVector(s, t))
        case .matrixSelector(let s, let range): return .matrix(try selectMatrix(s, range: range, t))
        case .subquery(let s): return .matrix(try evalSubquery(s, t))
        case .unaryMinus(let e):
            switch try eval(e, t) {
            case .scalar(let v): return .scalar(-v)
            case .vector(let vec):
                return .vector(try Self.uniqueLabelSets(vec.map { VectorSample(labels: $0.labels.droppingMetricSchema, value: -$0.value) }))
            default: throw EvalError("unary minus needs a scalar or an instant vector")
            }
        case .binary(let b): return try Self.uniqueLabelSets(evalBinary(b, t))
        case .aggregate(let a): return try evalAggregate(a, t)
        case .call(let c): return try Self.uniqueLabelSets(evalCall(c, t))
        }
    }

    func resolve(_ at: AtModifier?, _ t: Int64) -> Int64 {
        switch at {
        case .none: t
        case .timestamp(let ts): ts
        case .start: queryStart
        case .end: queryEnd
        }
    }

    // MARK: duration expressions

    /// A duration expression's value for this query (`step()`, `range()` = end - start), with
    /// Prometheus' checks; the plain value when there is none.
    func duration(_ e: DurationExpr?, _ plain: Int64, allowNegative: Bool) throws(EvalError) -> Int64 {
        guard let e else { return plain }
        do throws(DurationError) {
            return try e.milliseconds(step: Double(queryStep) / 1000, range: Double(queryEnd - queryStart) / 1000,
                                      allowNegative: allowNegative)
        } catch {
            throw EvalError("\(error.description) in duration expression \(e.description)")
        }
    }

    func offset(_ s: VectorSelector) throws(EvalError) -> Int64 { try duration(s.offsetExpr, s.offset, allowNegative: true) }
    func offset(_ s: Subquery) throws(EvalError) -> Int64 { try duration(s.offsetExpr, s.offset, allowNegative: true) }
    func matrixRange(_ s: VectorSelector, _ range: Int64) throws(EvalError) -> Int64 {
        try duration(s.rangeExpr, range, allowNegative: false)
    }
    func subqueryRange(_ s: Subquery) throws(EvalError) -> Int64 { try duration(s.rangeExpr, s.range, allowNegative: false) }

    func selectVector(_ s: VectorSelector, _ t: Int64) throws(EvalError) -> [VectorSample] {
        let ref = resolve(s.at, t) - (try offset(s))
        var out: [VectorSample] = []
        for (ls, buf) in history.selectBuffers(s.matchers) {
            if let p = buf.latest(at: ref, lookback: lookbackDelta) {
                out.append(VectorSample(labels: ls, value: p.v, sourceTime: p.t))
            }
        }
        try charge(out.count)
        return out
    }

    func selectMatrix(_ s: VectorSelector, range plainRange: Int64, _ t: Int64) throws(EvalError) -> [RangeSeries] {
        let ref = resolve(s.at, t) - (try offset(s))
        let range = try matrixRange(s, plainRange)
        var out: [RangeSeries] = []
        for (ls, buf) in history.selectBuffers(s.matchers) {
            let pts = buf.points(after: ref - range, through: ref)
            try charge(pts.count)
            if !pts.isEmpty { out.append(RangeSeries(labels: ls, points: pts)) }
        }
        return out
    }

    /// Evaluates the inner expression at every step aligned to the step size in
    /// `(t - offset - range, t - offset]`.
    func evalSubquery(_ s: Subquery, _ t: Int64) throws(EvalError) -> [RangeSeries] {
        let range = try subqueryRange(s)
        let explicitStep = try duration(s.stepExpr, s.step, allowNegative: false)
        let step = explicitStep > 0 ? explicitStep : max(1, defaultSubqueryStep)
        guard range / step <= Self.maxSubquerySteps else {
            throw EvalError("subquery \(Expr.subquery(s)) needs more than \(Self.maxSubquerySteps) steps")
        }
        let end = resolve(s.at, t) - (try offset(s))
        let startExclusive = end - range
        var first = step * (startExclusive / step)
        if first <= startExclusive { first += step }
        var out: [LabelSet: [RangeSeries.Point]] = [:]
        var order: [LabelSet] = []
        var ts = first
        while ts <= end {
            try poll()
            switch try eval(s.expr, ts) {
            case .vector(let vec):
                try charge(vec.count)
                for smp in vec {
                    if out[smp.labels] == nil { order.append(smp.labels) }
                    out[smp.labels, default: []].append(.init(t: ts, v: smp.value))
                }
            case .scalar(let v):
                try charge(1)
                if out[.empty] == nil { order.append(.empty) }
                out[.empty, default: []].append(.init(t: ts, v: v))
            default:
                throw EvalError("subquery needs an instant vector")
            }
            ts += step
        }
        return order.map { RangeSeries(labels: $0, points: out[$0] ?? []) }
    }

    /// Instant vector or scalar result of a rule expression as samples (a scalar becomes one
    /// sample without labels).
    public static func samples(of value: Value) throws(EvalError) -> [VectorSample] {
        switch value {
        case .vector(let v): return v
        case .scalar(let s): return [VectorSample(labels: .empty, value: s)]
        case .string, .matrix: throw EvalError("rule result must be an instant vector or a scalar, got \(value.type.rawValue)")
        }
    }
}
