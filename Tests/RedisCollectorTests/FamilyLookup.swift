import VigilCore

/// Test helpers to find families and samples.
extension Array where Element == MetricFamily {
    subscript(name: String) -> MetricFamily? { first(where: { $0.name == name }) }

    /// The value of the sample of `name` whose labels include all of `labels`.
    func value(_ name: String, _ labels: [String: String] = [:], suffix: String = "") -> Double? {
        self[name]?.samples.first(where: { s in
            s.suffix == suffix && labels.allSatisfy { s.labels[$0.key] == $0.value }
        })?.value
    }
}
