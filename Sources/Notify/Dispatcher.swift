public import Foundation

/// Routes alerts into aggregation groups and says which groups to flush when. Pure: the
/// caller passes the time and acts on the returned flushes.
///
/// Semantics follow Alertmanager's dispatcher: a new group waits `group_wait` (or flushes at
/// once when its first alert is older than that), then is re-evaluated every `group_interval`;
/// whether a flush becomes a message (new firing alerts, resolutions, `repeat_interval`) is the
/// `NotificationLog`'s decision. A group that has no alerts left after a flush is dropped.
public struct Dispatcher: Sendable {
    public let root: Route
    /// Groups by route position and group labels.
    public private(set) var groups: [String: AggregationGroup] = [:]

    public init(root: Route) { self.root = root }

    public mutating func receive(_ alerts: [Alert], at now: Date) {
        for alert in alerts {
            for route in root.match(alert.labels) {
                let labels = route.groupLabels(for: alert.labels)
                let key = "\(route.id)|\(labelSetDescription(labels))"
                var group = groups[key] ?? AggregationGroup(route: route, labels: labels, createdAt: now)
                group.insert(alert, at: now)
                groups[key] = group
            }
        }
    }

    /// Every group due at `now`, flushed (and rescheduled or dropped), in group key order.
    public mutating func flushDue(at now: Date) -> [GroupFlush] {
        var out: [GroupFlush] = []
        for key in groups.keys.sorted() {
            guard var group = groups[key], group.nextFlush <= now else { continue }
            let alerts = group.flush(at: now)
            out.append(GroupFlush(groupKey: group.key, receiver: group.route.receiver, groupLabels: group.labels,
                                  groupInterval: group.route.groupInterval, repeatInterval: group.route.repeatInterval, alerts: alerts, at: now))
            groups[key] = group.isEmpty ? nil : group
        }
        return out
    }

    /// When the next group is due, or nil when there is none.
    public var nextDeadline: Date? { groups.values.map(\.nextFlush).min() }
}
