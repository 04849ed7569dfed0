/// A PagerDuty Events API v2 event: `trigger` while anything fires, `resolve` once everything
/// resolved; `dedup_key` is the SHA-256 of the group key (stable per group, as Alertmanager).
struct PagerDutyPayload: Encodable {
    struct Payload: Encodable {
        var summary: String
        var source: String
        var severity: String
        var timestamp: String
        var component: String?
        var group: String?
        var `class`: String?
        var custom_details: [String: String]
    }

    struct Link: Encodable {
        var href: String
        var text: String
    }

    var routing_key: String
    var event_action: String
    var dedup_key: String
    var payload: Payload?
    var client: String?
    var client_url: String?
    var links: [Link]?

    init(_ c: NotificationContent, _ i: Integration) {
        routing_key = i.routingKey ?? ""
        dedup_key = Self.dedupKey(c.groupKey)
        client = i.client
        client_url = i.clientURL ?? (c.externalURL.isEmpty ? nil : c.externalURL)
        guard c.status == .firing else {
            event_action = "resolve"
            return
        }
        event_action = "trigger"
        let firing = c.items.filter { $0.status == .firing }
        let labels = c.commonLabels
        let first = firing.first?.alert
        payload = Payload(
            summary: DefaultText.truncate(NotificationTemplate.render(
                i.textTemplate, c, fallback: DefaultText.title(c) + (first?.annotations["summary"].map { ": \($0)" } ?? "")), 1024),
            source: labels["instance"] ?? labels["server"] ?? labels["job"] ?? (c.externalURL.isEmpty ? "vigil" : Integration.redactedHost(c.externalURL)),
            severity: Self.severity(labels["severity"] ?? first?.labels["severity"]),
            timestamp: RFC3339.format(firing.map(\.alert.startsAt).min() ?? c.at),
            component: labels["component"] ?? labels["service"],
            group: labels["group"] ?? labels["job"],
            class: labels["class"] ?? labels["alertname"],
            custom_details: [
                "firing": firing.map { DefaultText.alert($0, .plain) }.joined(separator: "\n\n"),
                "num_firing": String(firing.count),
                "num_resolved": String(c.items.count - firing.count),
            ]
        )
        var ls: [Link] = []
        if !c.externalURL.isEmpty { ls.append(Link(href: c.externalURL, text: "Vigil")) }
        for item in firing {
            if let r = item.alert.annotations["runbook_url"] { ls.append(Link(href: r, text: "Runbook: \(item.alert.name)")) }
        }
        links = ls.isEmpty ? nil : Array(ls.prefix(10))
    }

    static func dedupKey(_ groupKey: String) -> String { SHA256.hex(SHA256.hash(Array(groupKey.utf8))) }

    /// PagerDuty accepts critical, error, warning and info.
    static func severity(_ label: String?) -> String {
        switch label?.lowercased() {
        case "critical", "crit", "fatal", "page", "p1": "critical"
        case "error", "err", "high", "major", "p2": "error"
        case "warning", "warn", "medium", "minor", "p3": "warning"
        case "info", "information", "low", "none", "notice", "p4", "p5": "info"
        default: "error"
        }
    }
}
