public import VigilCore

/// The identity of a series: label pairs sorted by name, `__name__` included. Empty values are
/// dropped (an empty label is an absent label in Prometheus).
public struct LabelSet: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByDictionaryLiteral {
    public private(set) var labels: [Label]

    public init(_ labels: [Label]) {
        // Stable sort by name, then keep the last of equal names (later pairs win).
        let sorted = labels.enumerated().sorted { a, b in
            a.element.name != b.element.name ? a.element.name < b.element.name : a.offset < b.offset
        }
        var out: [Label] = []
        out.reserveCapacity(sorted.count)
        for (_, l) in sorted {
            if let last = out.last, last.name == l.name { out.removeLast() }
            out.append(l)
        }
        self.labels = out.filter { !$0.value.isEmpty }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { Label($0.0, $0.1) })
    }

    /// A series of family sample: `name` is the sample name (family name + suffix).
    public init(name: String, labels: Labels) {
        self.init([Label("__name__", name)] + labels.pairs)
    }

    private init(sorted: [Label]) { labels = sorted }

    public static let empty = LabelSet(sorted: [])

    public subscript(name: String) -> String? {
        // Binary search: label sets are small, but this is on the hot path of matching.
        var lo = 0, hi = labels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if labels[mid].name < name { lo = mid + 1 } else { hi = mid }
        }
        return lo < labels.count && labels[lo].name == name ? labels[lo].value : nil
    }

    public var metricName: String? { self["__name__"] }
    public var isEmpty: Bool { labels.isEmpty }
    public var count: Int { labels.count }

    /// A copy with `name` set to `value` (removed when `value` is empty).
    public func setting(_ name: String, _ value: String) -> LabelSet {
        var out = labels.filter { $0.name != name }
        if !value.isEmpty {
            let i = out.firstIndex(where: { $0.name > name }) ?? out.count
            out.insert(Label(name, value), at: i)
        }
        return LabelSet(sorted: out)
    }

    public func removing(_ names: Set<String>) -> LabelSet {
        LabelSet(sorted: labels.filter { !names.contains($0.name) })
    }

    public func keeping(_ names: Set<String>) -> LabelSet {
        LabelSet(sorted: labels.filter { names.contains($0.name) })
    }

    /// The labels Prometheus 3.x drops with the metric name where an operation changes what a
    /// series measures (arithmetic, most functions, `bool` comparisons): `__name__`, `__type__`
    /// and `__unit__` (its schema metadata labels, model/schema.IsMetadataLabel). Unconditional
    /// in 3.14, with or without `--enable-feature=type-and-unit-labels`.
    public static let metricSchemaLabels: Set<String> = ["__name__", "__type__", "__unit__"]

    /// Without `__name__`, `__type__` and `__unit__`.
    public var droppingMetricSchema: LabelSet {
        guard labels.contains(where: { Self.metricSchemaLabels.contains($0.name) }) else { return self }
        return LabelSet(sorted: labels.filter { !Self.metricSchemaLabels.contains($0.name) })
    }

    public var droppingName: LabelSet {
        guard let i = labels.firstIndex(where: { $0.name == "__name__" }) else { return self }
        var out = labels
        out.remove(at: i)
        return LabelSet(sorted: out)
    }

    /// The labels as VigilCore `Labels` (sorted, `__name__` excluded).
    public var withoutName: Labels { Labels(labels.filter { $0.name != "__name__" }) }

    public static func < (a: LabelSet, b: LabelSet) -> Bool {
        let n = min(a.labels.count, b.labels.count)
        for i in 0..<n {
            if a.labels[i].name != b.labels[i].name { return a.labels[i].name < b.labels[i].name }
            if a.labels[i].value != b.labels[i].value { return a.labels[i].value < b.labels[i].value }
        }
        return a.labels.count < b.labels.count
    }

    /// Prometheus' rendering: `name{a="1", b="2"}`, or `{a="1"}` without a name.
    public var description: String {
        let rest = labels.filter { $0.name != "__name__" }
        let inner = rest.map { "\($0.name)=\(PromQLString.quote($0.value))" }.joined(separator: ", ")
        if let name = metricName { return rest.isEmpty ? name + "{}" : "\(name){\(inner)}" }
        return "{\(inner)}"
    }

    /// Approximate heap bytes of the label strings, for memory accounting.
    var byteSize: Int { labels.reduce(16) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 } }
}
