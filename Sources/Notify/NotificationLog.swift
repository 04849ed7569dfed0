public import Foundation

/// What was last notified per integration and group — Alertmanager's nflog and the dedup
/// stage's `needsUpdate`. Pure and Codable (persisted so a restart does not re-page).
public struct NotificationLog: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var firing: Set<Fingerprint>
        public var resolved: Set<Fingerprint>
        public var at: Date
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    static func key(integration: String, groupKey: String) -> String { "\(integration)\u{1F}\(groupKey)" }

    /// Whether a message is due for this group and integration now.
    public func needsUpdate(integration: String, groupKey: String, firing: Set<Fingerprint>, resolved: Set<Fingerprint>,
                            sendResolved: Bool, repeatInterval: Double, at now: Date) -> Bool {
        guard let entry = entries[Self.key(integration: integration, groupKey: groupKey)] else {
            // Never notified: only when something fires.
            return !firing.isEmpty
        }
        // A firing alert not in the last message.
        if !firing.isSubset(of: entry.firing) { return true }
        // Everything resolved: notify only when the receiver was told something fired.
        if firing.isEmpty { return !entry.firing.isEmpty }
        if sendResolved, !resolved.isSubset(of: entry.resolved) { return true }
        return entry.at < now.addingTimeInterval(-repeatInterval)
    }

    public mutating func record(integration: String, groupKey: String, firing: Set<Fingerprint>, resolved: Set<Fingerprint>, at now: Date) {
        let key = Self.key(integration: integration, groupKey: groupKey)
        if firing.isEmpty {
            // Alertmanager keeps the entry until it expires; a fully resolved group has nothing
            // left to repeat, so the entry goes.
            entries[key] = nil
        } else {
            entries[key] = Entry(firing: firing, resolved: resolved, at: now)
        }
    }

    /// Drops entries older than `age` seconds (groups that went away without resolving).
    public mutating func prune(olderThan age: Double, at now: Date) {
        entries = entries.filter { $0.value.at >= now.addingTimeInterval(-age) }
    }
}
