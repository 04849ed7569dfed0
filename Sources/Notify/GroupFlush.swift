public import Foundation

/// "Notify about group G now": what the dispatcher hands to the notification pipeline.
public struct GroupFlush: Sendable, Hashable {
    public var groupKey: String
    public var receiver: String
    public var groupLabels: [String: String]
    public var groupInterval: Double
    public var repeatInterval: Double
    /// Every alert of the group at flush time, firing and resolved, sorted by fingerprint.
    public var alerts: [Alert]
    public var at: Date
}
