/// An inhibition rule: a firing alert matching `sourceMatchers` mutes every alert matching
/// `targetMatchers` that has the same values (absent counts as empty) for the `equal` labels.
public struct InhibitRule: Sendable, Hashable {
    public var sourceMatchers: [Matcher]
    public var targetMatchers: [Matcher]
    public var equal: [String]

    public init(sourceMatchers: [Matcher], targetMatchers: [Matcher], equal: [String] = []) {
        self.sourceMatchers = sourceMatchers
        self.targetMatchers = targetMatchers
        self.equal = equal
    }
}
