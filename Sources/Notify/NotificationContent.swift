public import Foundation

/// Everything a message about one group says: Alertmanager's template data (`.Status`,
/// `.GroupLabels`, `.CommonLabels`, …) with each alert's status fixed at flush time.
public struct NotificationContent: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public var alert: Alert
        public var status: AlertStatus
    }

    public var groupKey: String
    public var receiver: String
    public var status: AlertStatus
    public var groupLabels: [String: String]
    public var commonLabels: [String: String]
    public var commonAnnotations: [String: String]
    public var externalURL: String
    public var items: [Item]
    /// Alerts left out by `max_alerts`.
    public var truncatedAlerts: Int
    public var at: Date

    public init(groupKey: String, receiver: String, groupLabels: [String: String], alerts: [Alert], externalURL: String,
                at: Date, maxAlerts: Int = 0) {
        self.groupKey = groupKey
        self.receiver = receiver
        self.groupLabels = groupLabels
        self.externalURL = externalURL
        self.at = at
        // Firing first, then resolved; each by start time, then labels (stable).
        let all = alerts.map { Item(alert: $0, status: $0.status(at: at)) }.sorted { a, b in
            if a.status != b.status { return a.status == .firing }
            if a.alert.startsAt != b.alert.startsAt { return a.alert.startsAt < b.alert.startsAt }
            return a.alert.fingerprint < b.alert.fingerprint
        }
        status = all.contains { $0.status == .firing } ? .firing : .resolved
        commonLabels = Self.common(all.map(\.alert.labels))
        commonAnnotations = Self.common(all.map(\.alert.annotations))
        if maxAlerts > 0, all.count > maxAlerts {
            items = Array(all.prefix(maxAlerts))
            truncatedAlerts = all.count - maxAlerts
        } else {
            items = all
            truncatedAlerts = 0
        }
    }

    public var firing: [Alert] { items.filter { $0.status == .firing }.map(\.alert) }
    public var resolved: [Alert] { items.filter { $0.status == .resolved }.map(\.alert) }

    /// The pairs every map has with the same value.
    static func common(_ maps: [[String: String]]) -> [String: String] {
        guard var out = maps.first else { return [:] }
        for m in maps.dropFirst() { out = out.filter { m[$0.key] == $0.value } }
        return out
    }
}

/// Timestamps as Go's `time.Time` marshals them (RFC 3339, fraction only when non-zero,
/// trailing zeros trimmed); the zero time for "no end".
enum RFC3339 {
    static let zero = "0001-01-01T00:00:00Z"

    static func format(_ date: Date?) -> String {
        guard let date else { return zero }
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = (ms / 1000).rounded(.down)
        let millis = Int(ms - seconds * 1000)
        let whole = Date(timeIntervalSince1970: seconds)
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? c.timeZone
        let p = c.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        func pad(_ n: Int?, _ w: Int) -> String {
            let s = String(n ?? 0)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var out = "\(pad(p.year, 4))-\(pad(p.month, 2))-\(pad(p.day, 2))T\(pad(p.hour, 2)):\(pad(p.minute, 2)):\(pad(p.second, 2))"
        if millis > 0 {
            var frac = pad(millis, 3)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += ".\(frac)"
        }
        return out + "Z"
    }
}
