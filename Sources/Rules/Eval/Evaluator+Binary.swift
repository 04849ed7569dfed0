import Foundation

extension Evaluator {
    func evalBinary(_ b: BinaryExpr, _ t: Int64) throws(EvalError) -> Value {
        let lhs = try eval(b.lhs, t)
        let rhs = try eval(b.rhs, t)
        switch (lhs, rhs) {
        case (.scalar(let l), .scalar(let r)):
            if b.op.isTrim { throw EvalError("operator \"\(b.op.rawValue)\" not allowed for Scalar operations") }
            let (v, keep) = Self.apply(b.op, l, r)
            if b.op.isComparison { return .scalar(keep ? 1 : 0) }
            return .scalar(v)
        case (.vector(let l), .scalar(let r)):
            return .vector(vectorScalar(b, l, r, swap: false))
        case (.scalar(let l), .vector(let r)):
            return .vector(vectorScalar(b, r, l, swap: true))
        case (.vector(let l), .vector(let r)):
            let m = b.matching ?? VectorMatching()
            switch b.op {
            case .and: return .vector(and(l, r, m))
            case .or: return .vector(or(l, r, m))
            case .unless: return .vector(unless(l, r, m))
            default: return .vector(try vectorVector(b, l, r, m))
            }
        default:
            throw EvalError("binary expression must contain only scalar and instant vector types")
        }
    }

    /// The arithmetic or comparison of two floats; `keep` is the comparison result. For
    /// comparisons the value is the left-hand side.
    static func apply(_ op: BinaryOp, _ l: Double, _ r: Double) -> (Double, Bool) {
        switch op {
        case .add: (l + r, true)
        case .sub: (l - r, true)
        case .mul: (l * r, true)
        case .div: (l / r, true)
        case .mod: (fmod(l, r), true)
        case .pow: (Foundation.pow(l, r), true)
        case .atan2: (Foundation.atan2(l, r), true)
        case .eql: (l, l == r)
        case .neq: (l, l != r)
        case .gtr: (l, l > r)
        case .lss: (l, l < r)
        case .gte: (l, l >= r)
        case .lte: (l, l <= r)
        case .and, .or, .unless: (.nan, false)
        // Trimming applies to native histograms only; a float sample is dropped.
        case .trimUpper, .trimLower: (0, false)
        }
    }

    /// Arithmetic operators and `bool` comparisons drop the metric name.
    static func dropsName(_ b: BinaryExpr) -> Bool { !b.op.isComparison || b.returnBool }

    private func vectorScalar(_ b: BinaryExpr, _ vec: [VectorSample], _ scalar: Double, swap: Bool) -> [VectorSample] {
        var out: [VectorSample] = []
        out.reserveCapacity(vec.count)
        for s in vec {
            let (l, r) = swap ? (scalar, s.value) : (s.value, scalar)
            var (v, keep) = Self.apply(b.op, l, r)
            // A comparison keeps the vector's value even when the scalar is on the left.
            if b.op.isComparison, swap { v = s.value }
            if b.returnBool {
                v = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            out.append(VectorSample(labels: Self.dropsName(b) ? s.labels.droppingMetricSchema : s.labels, value: v))
        }
        return out
    }

    /// The matching key of a sample: the `on` labels, or all labels but the `ignoring` ones
    /// and `__name__`.
    static func signature(_ ls: LabelSet, _ m: VectorMatching) -> LabelSet {
        if m.on { return ls.keeping(Set(m.labels)) }
        if m.labels.isEmpty { return ls.droppingName }
        return ls.removing(Set(m.labels + ["__name__"]))
    }

    private func and(_ l: [VectorSample], _ r: [VectorSample], _ m: VectorMatching) -> [VectorSample] {
        let right = Set(r.map { Self.signature($0.labels, m) })
        return l.filter { right.contains(Self.signature($0.labels, m)) }
    }

    private func or(_ l: [VectorSample], _ r: [VectorSample], _ m: VectorMatching) -> [VectorSample] {
        let left = Set(l.map { Self.signature($0.labels, m) })
        return l + r.filter { !left.contains(Self.signature($0.labels, m)) }
    }

    private func unless(_ l: [VectorSample], _ r: [VectorSample], _ m: VectorMatching) -> [VectorSample] {
        let right = Set(r.map { Self.signature($0.labels, m) })
        return l.filter { !right.contains(Self.signature($0.labels, m)) }
    }

    private func vectorVector(_ b: BinaryExpr, _ lhsIn: [VectorSample], _ rhsIn: [VectorSample], _ m: VectorMatching) throws(EvalError) -> [VectorSample] {
        if m.cardinality == .manyToMany { throw EvalError("many-to-many only allowed for set operators") }
        // Nothing can match: Prometheus returns nothing before checking either side's matching.
        if lhsIn.isEmpty || rhsIn.isEmpty { return [] }
        // The "one" side goes right; group_right swaps the sides.
        let swap = m.cardinality == .oneToMany
        let (many, one) = swap ? (rhsIn, lhsIn) : (lhsIn, rhsIn)
        var oneBySig: [LabelSet: VectorSample] = [:]
        for s in one {
            let sig = Self.signature(s.labels, m)
            if let dup = oneBySig[sig] {
                let side = swap ? "left" : "right"
                throw EvalError("found duplicate series for the match group \(sig) on the \(side) hand-side of the operation: [\(dup.labels), \(s.labels)];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            oneBySig[sig] = s
        }
        // Over float samples a trim operator drops every pair before the matching checks (the
        // incompatible-types annotation returns first in Prometheus).
        if b.op.isTrim { return [] }
        var matchedOneToOne: Set<LabelSet> = []
        var inserted: [LabelSet: Set<LabelSet>] = [:]
        var out: [VectorSample] = []
        for (i, s) in many.enumerated() {
            if i & 255 == 255 { try poll() }
            let sig = Self.signature(s.labels, m)
            guard let o = oneBySig[sig] else { continue }
            let (l, r) = swap ? (o.value, s.value) : (s.value, o.value)
            var (v, keep) = Self.apply(b.op, l, r)
            if b.returnBool {
                v = keep ? 1 : 0
                keep = true
            }
            // The matching checks come before a comparison filters (Prometheus 3.9+): a
            // comparison that drops a "many" side sample still fails an implicit one-to-one match.
            if filterBeforeMatching, !keep { continue }
            let metric = resultMetric(b, many: s.labels, one: o.labels, m)
            if m.cardinality == .oneToOne {
                guard matchedOneToOne.insert(sig).inserted else {
                    throw EvalError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            } else {
                guard inserted[sig, default: []].insert(metric).inserted else {
                    throw EvalError("multiple matches for labels: grouping labels must ensure unique matches")
                }
            }
            guard keep else { continue }
            out.append(VectorSample(labels: metric, value: v))
        }
        return out
    }

    private func resultMetric(_ b: BinaryExpr, many: LabelSet, one: LabelSet, _ m: VectorMatching) -> LabelSet {
        var ls = Self.dropsName(b) ? many.droppingMetricSchema : many
        if m.cardinality == .oneToOne {
            ls = m.on ? ls.keeping(Set(m.labels)) : ls.removing(Set(m.labels))
        }
        for name in m.include {
            ls = ls.setting(name, one[name] ?? "")
        }
        return ls
    }
}
