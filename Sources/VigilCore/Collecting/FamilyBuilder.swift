/// Collects samples into families by name for one collection cycle: first-seen order, one
/// TYPE and HELP per name (fixed by its first sample), and no duplicate series — the first
/// sample of a series wins, so a collector can never expose the same series twice.
public struct FamilyBuilder {
    private var order: [String] = []
    private var byName: [String: MetricFamily] = [:]
    private var seen: [String: Set<SeriesKey>] = [:]

    private struct SeriesKey: Hashable {
        var suffix: String
        var labels: Labels
    }

    /// Put before every name given to `gauge`/`counter` (`redis` → `redis_<name>`); empty: none.
    public let namespace: String

    public init(namespace: String = "") {
        self.namespace = namespace
    }

    public func fullName(_ name: String) -> String {
        namespace.isEmpty ? name : "\(namespace)_\(name)"
    }

    public mutating func gauge(_ name: String, _ value: Double, _ labels: Labels = Labels(), help: String? = nil) {
        add(fullName(name), .gauge, value, labels, help: help)
    }

    public mutating func counter(_ name: String, _ value: Double, _ labels: Labels = Labels(), help: String? = nil) {
        add(fullName(name), .counter, value, labels, help: help)
    }

    /// Adds a sample under a fully qualified name (no namespace is put before it).
    public mutating func add(_ fullName: String, _ type: MetricType, _ value: Double, _ labels: Labels = Labels(),
                             suffix: String = "", help: String? = nil) {
        declare(fullName, type, help: help ?? "\(fullName) metric")
        let key = SeriesKey(suffix: suffix, labels: labels)
        guard seen[fullName, default: []].insert(key).inserted else { return }
        byName[fullName]?.samples.append(Sample(labels, value, suffix: suffix))
    }

    /// Adds a sample the caller knows is the only one of its series in this builder (a parsed
    /// body that already refused duplicates): no duplicate check, so no hashing of its labels.
    public mutating func addUnique(_ fullName: String, _ type: MetricType, _ value: Double, _ labels: Labels,
                                   suffix: String = "", help: String) {
        declare(fullName, type, help: help)
        byName[fullName]?.samples.append(Sample(labels, value, suffix: suffix))
    }

    /// Declares a family without adding a sample (the first declaration fixes TYPE and HELP).
    public mutating func declare(_ fullName: String, _ type: MetricType, help: String) {
        if byName[fullName] == nil {
            order.append(fullName)
            byName[fullName] = MetricFamily(name: fullName, help: help, type: type)
        }
    }

    /// Adds every sample of `family` under its name, type and help.
    public mutating func append(_ family: MetricFamily) {
        declare(family.name, family.type, help: family.help)
        for s in family.samples {
            add(family.name, family.type, s.value, s.labels, suffix: s.suffix, help: family.help)
        }
    }

    public mutating func append(contentsOf families: [MetricFamily]) {
        for f in families { append(f) }
    }

    /// The families in first-seen order; families without samples are left out.
    public var families: [MetricFamily] {
        order.compactMap { name -> MetricFamily? in
            guard var family = byName[name], !family.samples.isEmpty else { return nil }
            family.seriesAreDistinct = true
            return family
        }
    }

    public var isEmpty: Bool { families.isEmpty }

    public func family(_ fullName: String) -> MetricFamily? { byName[fullName] }
}
