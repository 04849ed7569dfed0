/// The aggregation operators of PromQL.
public enum AggregationOp: String, Sendable, Hashable, CaseIterable {
    case sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk, quantile
    case countValues = "count_values"

    /// Whether the operator takes a parameter before the vector (`topk(3, x)`).
    public var takesParameter: Bool {
        switch self {
        case .topk, .bottomk, .quantile, .countValues: true
        default: false
        }
    }
}
