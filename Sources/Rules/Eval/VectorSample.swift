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
