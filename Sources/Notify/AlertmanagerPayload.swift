import Foundation

/// What Prometheus POSTs to an Alertmanager's `/api/v2/alerts`: a JSON array of postable
/// alerts. Firing alerts carry an `endsAt` a few intervals ahead (Prometheus' "valid until"),
/// so Alertmanager resolves them by itself if Vigil stops sending.
struct AlertmanagerPayload: Encodable {
    struct Item: Encodable {
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        var endsAt: String
        var generatorURL: String
    }

    var alerts: [Item]

    init(_ c: NotificationContent, validFor: Double) {
        alerts = c.items.map { item in
            let end = item.status == .resolved ? item.alert.endsAt : c.at.addingTimeInterval(validFor)
            return Item(labels: item.alert.labels, annotations: item.alert.annotations, startsAt: RFC3339.format(item.alert.startsAt),
                        endsAt: RFC3339.format(end), generatorURL: item.alert.generatorURL)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(alerts)
    }
}
