import VigilCore

/// Collects samples into families by name, keeping the order in which families first
/// appear. A family's help and type are fixed by its first sample.
struct FamilySet {
    private var order: [String] = []
    private var byName: [String: MetricFamily] = [:]

    init() {}

    mutating func add(_ name: String, _ type: MetricType, _ help: String, _ labels: Labels = Labels(), _ value: Double, suffix: String = "") {
        if byName[name] == nil {
            order.append(name)
            byName[name] = MetricFamily(name: name, help: help, type: type, samples: [])
        }
        byName[name]?.samples.append(Sample(labels, value, suffix: suffix))
    }

    mutating func gauge(_ name: String, _ help: String, _ labels: Labels = Labels(), _ value: Double) {
        add(name, .gauge, help, labels, value)
    }

    mutating func counter(_ name: String, _ help: String, _ labels: Labels = Labels(), _ value: Double) {
        add(name, .counter, help, labels, value)
    }

    mutating func append(_ family: MetricFamily) {
        if byName[family.name] == nil {
            order.append(family.name)
            byName[family.name] = family
        } else {
            byName[family.name]?.samples.append(contentsOf: family.samples)
        }
    }

    mutating func append(contentsOf families: [MetricFamily]) {
        for f in families { append(f) }
    }

    var families: [MetricFamily] { order.compactMap { byName[$0] } }
    var isEmpty: Bool { order.isEmpty }
}
