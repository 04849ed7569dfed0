/// One label pair of a series.
public struct Label: Hashable, Sendable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The label set of a series, kept in the order it was built (rendering sorts nothing:
/// collectors build labels in a fixed order, which keeps output stable).
public struct Labels: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    public private(set) var pairs: [Label]

    public init(_ pairs: [Label] = []) { self.pairs = pairs }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.pairs = elements.map { Label($0.0, $0.1) }
    }

    public subscript(name: String) -> String? {
        pairs.first(where: { $0.name == name })?.value
    }

    public var isEmpty: Bool { pairs.isEmpty }
    public var count: Int { pairs.count }
    public var names: [String] { pairs.map(\.name) }

    public func makeIterator() -> IndexingIterator<[Label]> { pairs.makeIterator() }

    /// Sets `name` to `value`, replacing an existing pair of that name in place.
    public mutating func set(_ name: String, _ value: String) {
        if let i = pairs.firstIndex(where: { $0.name == name }) {
            pairs[i].value = value
        } else {
            pairs.append(Label(name, value))
        }
    }

    /// A copy with `extra` put first (used for the `server` label), skipping names already present.
    public func prepending(_ extra: [Label]) -> Labels {
        let mine = Set(pairs.map(\.name))
        return Labels(extra.filter { !mine.contains($0.name) } + pairs)
    }

    public func appending(_ name: String, _ value: String) -> Labels {
        var copy = self
        copy.set(name, value)
        return copy
    }
}
