extension Evaluator {
    /// Prometheus rejects the result of a function, an operator or a unary minus that holds two
    /// samples with the same labels (after the metric name was dropped):
    /// `-{__name__=~"a|b"}` over `a{x="1"}` and `b{x="1"}` is an error, not two samples.
    static func uniqueLabelSets(_ value: Value) throws(EvalError) -> Value {
        guard case .vector(let vec) = value, vec.count > 1 else { return value }
        _ = try uniqueLabelSets(vec)
        return value
    }

    static func uniqueLabelSets(_ vec: [VectorSample]) throws(EvalError) -> [VectorSample] {
        guard vec.count > 1 else { return vec }
        var seen = Set<LabelSet>(minimumCapacity: vec.count)
        for s in vec where !seen.insert(s.labels).inserted {
            throw EvalError("vector cannot contain metrics with the same labelset")
        }
        return vec
    }
}
