import Foundation
import Rules

/// Alertmanager's notification data for text overrides: `.Receiver`, `.Status`, `.GroupLabels`,
/// `.CommonLabels`, `.CommonAnnotations`, `.ExternalURL`, `.GroupKey`, `.TruncatedAlerts` and
/// `.Alerts` (each with `.Status`, `.Labels`, `.Annotations`, `.StartsAt`, `.EndsAt`,
/// `.GeneratorURL`, `.Fingerprint`; `.Alerts.Firing` and `.Alerts.Resolved` filter them).
enum NotificationTemplate {
    static func data(_ c: NotificationContent) -> [String: TemplateValue] {
        [
            "Receiver": .string(c.receiver),
            "Status": .string(c.status.rawValue),
            "GroupLabels": .map(c.groupLabels),
            "CommonLabels": .map(c.commonLabels),
            "CommonAnnotations": .map(c.commonAnnotations),
            "ExternalURL": .string(c.externalURL),
            "GroupKey": .string(c.groupKey),
            "TruncatedAlerts": .number(Double(c.truncatedAlerts)),
            "Alerts": .list(c.items.map { item in
                .object([
                    "Status": .string(item.status.rawValue),
                    "Labels": .map(item.alert.labels),
                    "Annotations": .map(item.alert.annotations),
                    "StartsAt": .string(RFC3339.format(item.alert.startsAt)),
                    "EndsAt": .string(RFC3339.format(item.alert.endsAt)),
                    "GeneratorURL": .string(item.alert.generatorURL),
                    "Fingerprint": .string(item.alert.fingerprint.description),
                ])
            }),
        ]
    }

    /// The override expanded, or `fallback` (Vigil's default text) when there is none. A
    /// template that fails on this data still sends the default text, with the failure noted,
    /// rather than losing the notification.
    static func render(_ template: Template?, _ c: NotificationContent, fallback: @autoclosure () -> String) -> String {
        guard let template else { return fallback() }
        do {
            return try template.execute(root: data(c))
        } catch {
            return fallback() + " (text template failed: \(error))"
        }
    }
}
