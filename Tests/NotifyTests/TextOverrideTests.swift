import Foundation
import Testing
@testable import Notify

@Suite("Receiver text overrides")
struct TextOverrideTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func content() -> NotificationContent {
        let firing = Alert(labels: ["alertname": "RedisDown", "server": "cache-1", "severity": "critical"],
                           annotations: ["summary": "cache-1 is down"], startsAt: now.addingTimeInterval(-60))
        let resolved = Alert(labels: ["alertname": "RedisDown", "server": "cache-2", "severity": "critical"],
                             annotations: ["summary": "cache-2 is down"], startsAt: now.addingTimeInterval(-600),
                             endsAt: now.addingTimeInterval(-5))
        return NotificationContent(groupKey: "{}:{alertname=\"RedisDown\"}", receiver: "chat", groupLabels: ["alertname": "RedisDown"],
                                   alerts: [firing, resolved], externalURL: "http://vigil.test", at: now)
    }

    @Test("templates expand over Alertmanager's notification data: .Status, .CommonLabels, .Alerts with .Firing/.Resolved")
    func alertmanagerData() throws {
        let config = try NotifyConfig.test("""
            route: {receiver: chat}
            receivers:
              - name: chat
                slack_configs:
                  - api_url: http://127.0.0.1:1/slack
                    title: '[{{ .Status | toUpper }}:{{ .Alerts.Firing | len }}] {{ .CommonLabels.alertname }}'
                    text: '{{ range .Alerts }}{{ .Labels.server }}={{ .Status }} {{ end }}via {{ .Receiver }} {{ .ExternalURL }}'
            """)
        let slack = try #require(config.receivers.first?.integrations.first)
        let body = try PayloadBuilder.body(for: slack, content: Self.content(), validFor: 60)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let attachment = try #require((json["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["title"] as? String == "[FIRING:1] RedisDown")
        #expect(attachment["text"] as? String == "cache-1=firing cache-2=resolved via chat http://vigil.test")
    }

    @Test("PagerDuty's description override becomes the event summary; without overrides the default texts stay")
    func pagerDutyAndDefaults() throws {
        let config = try NotifyConfig.test("""
            route: {receiver: pd}
            receivers:
              - name: pd
                pagerduty_configs:
                  - {url: 'http://127.0.0.1:1/pd', routing_key: R0UT1NGKEY0123456789012345678901, description: '{{ .CommonLabels.alertname }} on {{ len .Alerts }} servers'}
                discord_configs: [{webhook_url: 'http://127.0.0.1:1/discord'}]
            """)
        let integrations = try #require(config.receivers.first?.integrations)
        let pd = try #require(integrations.first { $0.kind == .pagerduty })
        let event = try #require(try JSONSerialization.jsonObject(with: PayloadBuilder.body(for: pd, content: Self.content(), validFor: 60)) as? [String: Any])
        #expect((event["payload"] as? [String: Any])?["summary"] as? String == "RedisDown on 2 servers")
        let discord = try #require(integrations.first { $0.kind == .discord })
        let message = String(decoding: try PayloadBuilder.body(for: discord, content: Self.content(), validFor: 60), as: UTF8.self)
        #expect(message.contains("RedisDown"))
        #expect(!message.contains("template failed"))
    }

    @Test("a template that does not parse fails the configuration with its position and field")
    func badTemplate() {
        do {
            _ = try NotifyConfig.parse(yaml: """
                route: {receiver: chat}
                receivers:
                  - name: chat
                    slack_configs: [{api_url: 'http://127.0.0.1:1/s', title: '{{ if .Status }}unterminated'}]
                """, file: "a.yml", environment: [:])
            Issue.record("accepted a broken template")
        } catch {
            #expect(error.description.hasPrefix("a.yml:4:"), "\(error)")
            #expect(error.field == "receivers[0].slack_configs[0].title")
            #expect(error.message.hasPrefix("invalid template"))
        }
    }
}
