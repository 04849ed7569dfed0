import Foundation
import Testing
@testable import Notify

/// Each receiver's message captured by a local HTTP receiver and checked against the vendor's
/// documented required fields.
@Suite("Receiver payloads", .serialized)
struct ReceiverPayloadTests {
    /// One notifier with every integration kind pointing at `receiver`, fed one firing alert
    /// and then its resolution; returns the captured requests by path.
    static func capture(extraAlerts: [Alert] = []) async throws -> (firing: [String: CapturedRequest], resolved: [String: CapturedRequest], alert: Alert) {
        let receiver = try TestReceiver()
        defer { receiver.stop() }
        let u = receiver.url
        let config = try NotifyConfig.test("""
        route: {receiver: all, group_by: [alertname], group_wait: 0s, group_interval: 3s}
        receivers:
          - name: all
            slack_configs: [{api_url: '\(u)/slack', channel: '#ops', username: vigil}]
            pagerduty_configs: [{url: '\(u)/pagerduty', routing_key: 'R0UT1NGKEY0123456789012345678901'}]
            discord_configs: [{webhook_url: '\(u)/discord'}]
            msteams_configs: [{webhook_url: '\(u)/teams'}]
            alertmanager_configs: [{url: '\(u)/am/'}]
            webhook_configs: [{url: '\(u)/hook', max_alerts: 1}]
        """)
        let notifier = try Notifier(config: config, stateDirectory: TestState.directory(), externalURL: "http://vigil.example:9633",
                                    logger: LogCapture().logger)
        notifier.start()
        let now = Date()
        let alert = Alert(labels: ["alertname": "PostgresDown", "severity": "critical", "server": "db1", "instance": "db1:5432"],
                          annotations: ["summary": "PostgreSQL is down", "description": "db1 has been unreachable for 1m",
                                        "runbook_url": "https://runbooks.example/pg-down", "value": "0"],
                          startsAt: now.addingTimeInterval(-60), generatorURL: "http://vigil.example:9633/graph")
        notifier.receive(alerts: [alert] + extraAlerts, at: now)
        let first = await receiver.wait(for: 6, timeout: 20)
        #expect(first.count == 6)
        var resolved = alert
        resolved.endsAt = Date()
        let resolvedExtras = extraAlerts.map { var a = $0; a.endsAt = Date(); return a }
        notifier.receive(alerts: [resolved] + resolvedExtras, at: Date())
        let all = await receiver.wait(for: 12, timeout: 20)
        #expect(all.count == 12)
        await notifier.shutdown()
        // The first message per path is the firing one; the latest is the resolution (the
        // Alertmanager push may repeat its firing message in between, on its group interval).
        let firing = Dictionary(all.prefix(6).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let resolvedMessages = Dictionary(all.dropFirst(6).map { ($0.path, $0) }, uniquingKeysWith: { _, latest in latest })
        return (firing, resolvedMessages, alert)
    }

    @Test("every receiver kind gets its vendor's documented shape, firing and resolved")
    func payloads() async throws {
        let second = Alert(labels: ["alertname": "PostgresDown", "severity": "critical", "server": "db2"],
                           annotations: ["summary": "PostgreSQL is down"], startsAt: Date())
        let (firing, resolved, alert) = try await Self.capture(extraAlerts: [second])

        // Slack incoming webhook: text and/or attachments; channel/username overrides.
        let slack = try #require(firing["/slack"]?.object)
        #expect((slack["text"] as? String)?.hasPrefix("[FIRING:2] PostgresDown") == true)
        #expect(slack["channel"] as? String == "#ops" && slack["username"] as? String == "vigil")
        let attachment = try #require((slack["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["color"] as? String == "danger")
        #expect(attachment["fallback"] as? String != nil)
        let slackText = attachment["text"] as? String ?? ""
        for part in ["*PostgresDown* (critical) - PostgreSQL is down", "db1 has been unreachable for 1m", "Value: 0",
                     "<https://runbooks.example/pg-down|Runbook>", "server=\"db1\"", "<http://vigil.example:9633/graph|Source>",
                     "<http://vigil.example:9633|Open Vigil>"] {
            #expect(slackText.contains(part), "slack text lacks \(part)")
        }
        #expect((resolved["/slack"]?.object["attachments"] as? [[String: Any]])?.first?["color"] as? String == "good")

        // PagerDuty Events API v2: routing_key, event_action, dedup_key, payload.summary/source/severity.
        let pd = try #require(firing["/pagerduty"]?.object)
        #expect(pd["routing_key"] as? String == "R0UT1NGKEY0123456789012345678901")
        #expect(pd["event_action"] as? String == "trigger")
        let dedup = try #require(pd["dedup_key"] as? String)
        #expect(dedup == SHA256.hex(SHA256.hash(Array("{}:{alertname=\"PostgresDown\"}".utf8))))
        let payload = try #require(pd["payload"] as? [String: Any])
        let summary = try #require(payload["summary"] as? String)
        #expect(!summary.isEmpty && summary.count <= 1024)
        #expect((payload["source"] as? String)?.isEmpty == false)
        #expect(["critical", "error", "warning", "info"].contains(payload["severity"] as? String ?? ""))
        #expect(payload["severity"] as? String == "critical")
        #expect(pd["client_url"] as? String == "http://vigil.example:9633")
        let pdResolved = try #require(resolved["/pagerduty"]?.object)
        #expect(pdResolved["event_action"] as? String == "resolve")
        #expect(pdResolved["dedup_key"] as? String == dedup)
        #expect(pdResolved["routing_key"] as? String == "R0UT1NGKEY0123456789012345678901")

        // Discord: content and/or embeds, within Discord's limits.
        let discord = try #require(firing["/discord"]?.object)
        let content = try #require(discord["content"] as? String)
        #expect(content.count <= 2000)
        let embed = try #require((discord["embeds"] as? [[String: Any]])?.first)
        #expect((embed["title"] as? String)?.count ?? 999 <= 256)
        #expect((embed["description"] as? String)?.contains("[Runbook](https://runbooks.example/pg-down)") == true)
        #expect(embed["color"] is Int)

        // Teams Workflows: a message with one Adaptive Card attachment.
        let teams = try #require(firing["/teams"]?.object)
        #expect(teams["type"] as? String == "message")
        let card = try #require((teams["attachments"] as? [[String: Any]])?.first)
        #expect(card["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        #expect(card.keys.contains("contentUrl"))
        let cardContent = try #require(card["content"] as? [String: Any])
        #expect(cardContent["type"] as? String == "AdaptiveCard")
        #expect(cardContent["$schema"] as? String == "http://adaptivecards.io/schemas/adaptive-card.json")
        #expect(cardContent["version"] as? String == "1.4")
        let body = try #require(cardContent["body"] as? [[String: Any]])
        #expect(body.first?["type"] as? String == "TextBlock")
        #expect((body.first?["text"] as? String)?.hasPrefix("[FIRING:2]") == true)

        // Alertmanager API v2: a JSON array of postable alerts.
        let amRequest = try #require(firing["/am/api/v2/alerts"])
        #expect(amRequest.method == "POST")
        let am = try #require(amRequest.json as? [[String: Any]])
        #expect(am.count == 2)
        let pushed = try #require(am.first { ($0["labels"] as? [String: String])?["server"] == "db1" })
        #expect(pushed["labels"] as? [String: String] == alert.labels)
        #expect(pushed["annotations"] as? [String: String] == alert.annotations)
        #expect(pushed["generatorURL"] as? String == alert.generatorURL)
        let ends = try #require((pushed["endsAt"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) })
        #expect(ends > Date())  // still valid for a while
        let amResolved = try #require(resolved["/am/api/v2/alerts"]?.json as? [[String: Any]])
        let resolvedEnd = (amResolved.first?["endsAt"] as? String).flatMap { ISO8601DateFormatter.withFraction.date(from: $0) ?? ISO8601DateFormatter().date(from: $0) }
        #expect(resolvedEnd.map { $0 <= Date() } == true)

        // Webhook with max_alerts 1: truncated count.
        let hook = try #require(firing["/hook"]?.object)
        #expect((hook["alerts"] as? [Any])?.count == 1)
        #expect(hook["truncatedAlerts"] as? Int == 1)
    }
}
