public import VigilCore

/// The identity of a series: label pairs sorted by name, `__name__` included. Empty values are
/// dropped (an empty label is an absent label in Prometheus).
public struct LabelSet: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByDictionaryLiteral {
    public private(set) var labels: [Label]

    public init(_ labels: [Label]) {
        var seen: [String: Label] = [:]
        for l in labels where !l.value.isEmpty { seen[l.name] = l }
        self.labels = seen.values.sorted { $0.name < $1.name }
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
