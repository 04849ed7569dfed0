public import Foundation

/// The alerts of one route that share the route's `group_by` label values, and when they are
/// next flushed — Alertmanager's dispatch aggregation group. Pure: time comes in as arguments.
public struct AggregationGroup: Sendable, Hashable {
    /// Alertmanager's group key: `<route key>:<group labels>`.
    public let key: String
    public let route: Route
    public let labels: [String: String]
    public private(set) var alerts: [Fingerprint: Alert] = [:]
    public private(set) var hasFlushed = false
    /// When this group is next due.
    public private(set) var nextFlush: Date

    init(route: Route, labels: [String: String], createdAt: Date) {
        self.key = "\(route.key):\(labelSetDescription(labels))"
        self.route = route
        self.labels = labels
        self.nextFlush = createdAt.addingTimeInterval(route.groupWait)
    }

    /// Adds or replaces an alert. Before the first flush, an alert that started more than
    /// `group_wait` ago makes the group due at once (as Alertmanager does).
    mutating func insert(_ alert: Alert, at now: Date) {
        alerts[alert.fingerprint] = alert
        if !hasFlushed, alert.startsAt.addingTimeInterval(route.groupWait) < now, nextFlush > now {
            nextFlush = now
        }
    }

    /// The alerts to notify about now, in a stable order, and the group rescheduled one
    /// `group_interval` later; resolved alerts leave the group (they were handed to this flush).
    mutating func flush(at now: Date) -> [Alert] {
        let snapshot = alerts.values.sorted { $0.fingerprint < $1.fingerprint }
        hasFlushed = true
        nextFlush = now.addingTimeInterval(route.groupInterval)
        for a in snapshot where a.status(at: now) == .resolved { alerts[a.fingerprint] = nil }
        return snapshot
    }

    public var isEmpty: Bool { alerts.isEmpty }
}
