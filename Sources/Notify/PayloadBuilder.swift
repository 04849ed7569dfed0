public import Foundation

/// Turns a group's content into the body a given integration expects.
public enum PayloadBuilder {
    /// The JSON body for `integration`. `validFor` is how long a firing alert pushed to an
    /// Alertmanager stays valid (seconds).
    public static func body(for integration: Integration, content: NotificationContent, validFor: Double) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch integration.kind {
        case .webhook: return try encoder.encode(WebhookPayload(content))
        case .slack: return try encoder.encode(SlackPayload(content, integration))
        case .pagerduty: return try encoder.encode(PagerDutyPayload(content, integration))
        case .discord: return try encoder.encode(DiscordPayload(content, integration))
        case .msteams: return try encoder.encode(TeamsPayload(content, integration))
        case .alertmanager: return try encoder.encode(AlertmanagerPayload(content, validFor: validFor))
        }
    }

    /// Where the body goes.
    public static func endpoint(for integration: Integration) -> String {
        guard integration.kind == .alertmanager else { return integration.url }
        var base = integration.url
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/api/v2/alerts"
    }
}
