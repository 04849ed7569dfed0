import Foundation

/// Alertmanager's webhook payload, version 4 — every field, same names and formats.
struct WebhookPayload: Encodable {
    struct Item: Encodable {
        var status: String
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
        var generatorURL: String
        var fingerprint: String
    }

    var version = "4"
    var groupKey: String
    var truncatedAlerts: Int
    var status: String
    var receiver: String
    var groupLabels: [String: String]
    var commonLabels: [String: String]
    var commonAnnotations: [String: String]
    var externalURL: String
    var alerts: [Item]

    init(_ c: NotificationContent) {
        groupKey = c.groupKey
        truncatedAlerts = c.truncatedAlerts
        status = c.status.rawValue
        receiver = c.receiver
        groupLabels = c.groupLabels
        commonLabels = c.commonLabels
        commonAnnotations = c.commonAnnotations
        externalURL = c.externalURL
        alerts = c.items.map { item in
            // Alertmanager reports the zero time for alerts with no end yet.
            let end: Date? = item.status == .resolved ? item.alert.endsAt : nil
            return Item(status: item.status.rawValue, labels: item.alert.labels, annotations: item.alert.annotations,
                        startsAt: RFC3339.format(item.alert.startsAt), endsAt: RFC3339.format(end),
                        generatorURL: item.alert.generatorURL, fingerprint: item.alert.fingerprint.description)
        }
    }
}
