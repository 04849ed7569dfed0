import VigilCore

/// Collects samples into families by name, keeping first-seen order, one TYPE per name and
/// no duplicate series (the first sample of a series wins).
struct FamilyBuilder {
    private var order: [String] = []
    private var families: [String: MetricFamily] = [:]
    private var seen: [String: Set<SeriesKey>] = [:]

    private struct SeriesKey: Hashable {
        var suffix: String
        var labels: Labels
    }

    /// The namespace put before every name given without one.
    let namespace: String

    init(namespace: String = "redis") {
        self.namespace = namespace
    }

    func fullName(_ name: String) -> String {
        namespace.isEmpty ? name : "\(namespace)_\(name)"
    }

    mutating func gauge(_ name: String, _ value: Double, _ labels: Labels = Labels(), help: String? = nil) {
        add(fullName(name), .gauge, value, labels, help: help)
    }

    mutating func counter(_ name: String, _ value: Double, _ labels: Labels = Labels(), help: String? = nil) {
        add(fullName(name), .counter, value, labels, help: help)
    }

    /// Adds a sample under an already fully qualified name.
    mutating func add(_ fullName: String, _ type: MetricType, _ value: Double, _ labels: Labels = Labels(),
                      suffix: String = "", help: String? = nil) {
        if families[fullName] == nil {
            order.append(fullName)
            families[fullName] = MetricFamily(name: fullName, help: help ?? "\(fullName) metric", type: type)
        }
        let key = SeriesKey(suffix: suffix, labels: labels)
        guard seen[fullName, default: []].insert(key).inserted else { return }
        families[fullName]?.samples.append(Sample(labels, value, suffix: suffix))
    }

    /// Declares a family (so it appears even before its first sample is added).
    mutating func declare(_ fullName: String, _ type: MetricType, help: String) {
        if families[fullName] == nil {
            order.append(fullName)
            families[fullName] = MetricFamily(name: fullName, help: help, type: type)
        }
    }

    mutating func append(_ family: MetricFamily) {
        for s in family.samples {
            add(family.name, family.type, s.value, s.labels, suffix: s.suffix, help: family.help)
        }
        if family.samples.isEmpty { declare(family.name, family.type, help: family.help) }
    }

    /// The families in first-seen order; families without samples are left out.
    var result: [MetricFamily] {
        order.compactMap { families[$0] }.filter { !$0.samples.isEmpty }
    }

    func family(_ fullName: String) -> MetricFamily? { families[fullName] }
}
