/// One element of an instant vector. `sourceTime` is the timestamp of the stored sample for
/// vector-selector results (what `timestamp()` returns); nil for computed samples.
public struct VectorSample: Sendable, Hashable {
    public var labels: LabelSet
    public var value: Double
    public var sourceTime: Int64?

    public init(labels: LabelSet, value: Double, sourceTime: Int64? = nil) {
        self.labels = labels
        self.value = value
        self.sourceTime = sourceTime
    }
}

/// One series of a range vector (or of a range query's result).
public struct RangeSeries: Sendable, Hashable {
    public var labels: LabelSet
    public var points: [Point]

    public struct Point: Sendable, Hashable {
        public var t: Int64
        public var v: Double
        public init(t: Int64, v: Double) {
            self.t = t
            self.v = v
        }
    }

    public init(labels: LabelSet, points: [Point]) {
        self.labels = labels
        self.points = points
    }
}

/// The result of evaluating an expression.
public enum Value: Sendable, Hashable {
    case scalar(Double)
    case string(String)
    case vector([VectorSample])
    case matrix([RangeSeries])

    public var type: ValueType {
        switch self {
        case .scalar: .scalar
        case .string: .string
        case .vector: .vector
        case .matrix: .matrix
        }
    }
}
