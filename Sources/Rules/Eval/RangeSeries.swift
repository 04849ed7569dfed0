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
